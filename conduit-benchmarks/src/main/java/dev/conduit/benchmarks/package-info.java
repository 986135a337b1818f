/**
 * Benchmarks: the side-by-side harness that bench/compare.sh runs against nats-server, JeroMQ and
 * raw Netty, and JMH benchmarks of the codec, subject matching and routing. Nothing here runs in the
 * default build but a smoke test with tiny counts.
 */
package dev.conduit.benchmarks;
