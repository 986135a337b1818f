package dev.conduit.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/** The table printed on stdout, docs/benchmarks.md and the chart docs/benchmarks.png. */
final class Report {
    static final String JMH_HEADING = "## JMH";

    private Report() {
    }

    static String number(double v, String unit) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (unit.endsWith("/s")) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%.1f", v);
    }

    static String cell(Series s, String unit) {
        if (s == null) {
            return "";
        }
        if (!s.ok()) {
            return s.failure() == null ? "no data" : s.failure().replace("|", "/");
        }
        String median = number(s.median(), unit);
        return s.values().size() == 1 ? median
                : median + " (" + number(s.min(), unit) + " - " + number(s.max(), unit) + ")";
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| workload | metric | unit | Conduit median (min - max) | peer | peer median (min - max) "
                + "| skipped (Conduit / peer) | Conduit / peer | Conduit relative (higher = better) |\n");
        sb.append("|---|---|---|---:|---|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            String notComparable = r.skippedAny() ? "not comparable (skipped)" : "";
            sb.append("| ").append(r.workload()).append(" | ").append(r.metric()).append(" | ").append(r.unit())
                    .append(" | ").append(cell(r.conduit(), r.unit()))
                    .append(" | ").append(r.peer() == null ? "" : r.peer())
                    .append(" | ").append(cell(r.peerSeries(), r.unit()))
                    .append(" | ").append(skipped(r.conduitSkipped())).append(" / ")
                    .append(r.peer() == null ? "-" : skipped(r.peerSkipped()))
                    .append(" | ").append(r.comparable() ? String.format(Locale.ROOT, "%.2f", r.ratio()) : notComparable)
                    .append(" | ").append(r.comparable() ? String.format(Locale.ROOT, "%.2f", r.advantage()) : notComparable)
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static String skipped(long n) {
        return n < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", n);
    }

    /** Machine and JDK, one fact a line. */
    static List<String> machine() {
        List<String> lines = new ArrayList<>();
        lines.add("- CPUs (nproc): " + Runtime.getRuntime().availableProcessors());
        lines.add("- CPU model: " + firstValue(Path.of("/proc/cpuinfo"), "model name"));
        String mem = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        try {
            mem = String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(mem.replace("kB", "").trim()) / 1048576.0);
        } catch (NumberFormatException e) {
            // keep the raw value
        }
        lines.add("- memory: " + mem);
        lines.add("- kernel: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        lines.add("- JDK: " + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + ", flags: "
                + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        return lines;
    }

    private static String firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    /**
     * Writes {@code benchmarks.md} and {@code benchmarks.png} into {@code dir}, keeping any section
     * of the old file that starts with the line {@code ## JMH}, and everything after it.
     */
    static void write(Path dir, List<Row> rows, String header, List<String> notes) throws IOException {
        Files.createDirectories(dir);
        Path md = dir.resolve("benchmarks.md");
        String kept = "";
        if (Files.exists(md)) {
            String old = Files.readString(md);
            int at = old.startsWith(JMH_HEADING) ? 0 : old.indexOf("\n" + JMH_HEADING);
            if (at >= 0) {
                kept = old.substring(old.startsWith(JMH_HEADING) ? 0 : at + 1);
            }
        }
        StringBuilder sb = new StringBuilder(header);
        sb.append("\n## Results\n\n").append(table(rows)).append('\n');
        sb.append("![Conduit relative to each peer](benchmarks.png)\n\n");
        if (!notes.isEmpty()) {
            sb.append("Notes:\n\n");
            notes.forEach(n -> sb.append("- ").append(n).append('\n'));
            sb.append('\n');
        }
        sb.append(kept);
        Files.writeString(md, sb.toString());
        chart(rows, dir.resolve("benchmarks.png"));
    }

    static String today() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    }

    /** A horizontal bar per comparable row: Conduit relative to its peer, 1.0 marked. */
    static void chart(List<Row> rows, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        List<Color> colors = new ArrayList<>();
        for (Row r : rows) {
            if (r.comparable()) {
                data.addValue(r.advantage(), "Conduit", r.workload() + " " + r.metric() + " vs " + r.peer());
                colors.add(switch (r.peer()) {
                    case "NATS" -> new Color(0x1f77b4);
                    case "JeroMQ" -> new Color(0x2ca02c);
                    default -> new Color(0xff7f0e);
                });
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(
                "Conduit relative to its peer (higher = better for Conduit; 1 = equal)", null,
                "Conduit / peer (rates), peer / Conduit (latencies)", data, PlotOrientation.HORIZONTAL,
                false, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ValueMarker one = new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1.5f));
        plot.addRangeMarker(one);
        BarRenderer renderer = new BarRenderer() {
            @Override
            public java.awt.Paint getItemPaint(int row, int column) {
                return colors.get(column);
            }
        };
        plot.setRenderer(renderer);
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}",
                new java.text.DecimalFormat("0.00")));
        renderer.setDefaultItemLabelsVisible(true);
        LogAxis range = new LogAxis("Conduit / peer (rates), peer / Conduit (latencies); log scale");
        range.setBase(2);
        range.setSmallestValue(1e-3);
        range.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
        double lo = 1;
        double hi = 1;
        for (int i = 0; i < data.getColumnCount(); i++) {
            double v = data.getValue(0, i).doubleValue();
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        range.setRange(lo / 1.6, hi * 1.6);
        plot.setRangeAxis(range);
        renderer.setBase(1.0);
        CategoryAxis axis = plot.getDomainAxis();
        axis.setMaximumCategoryLabelWidthRatio(0.5f);
        axis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int bars = Math.max(1, data.getColumnCount());
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1100, 160 + 34 * bars);
    }
}
