package dev.conduit.benchmarks;

import java.util.ArrayList;
import java.util.List;

/** The values of one metric over the repeated runs, or why they are missing. */
record Series(List<Double> values, String failure) {

    static Series of(List<Double> values) {
        return new Series(List.copyOf(values), null);
    }

    static Series failed(String why) {
        return new Series(List.of(), why);
    }

    boolean ok() {
        return failure == null && !values.isEmpty();
    }

    double median() {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    double min() {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    double max() {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
