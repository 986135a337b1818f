/**
 * The Conduit wire format: one record per frame ({@link dev.conduit.protocol.Frame}), the codec
 * ({@link dev.conduit.protocol.FrameCodec}), the sequencing rules shared by both peers ({@link
 * dev.conduit.protocol.SequencedStream}), subjects and limits. No threads, no I/O.
 *
 * <p>Client applications use two types of it directly: {@link dev.conduit.protocol.Headers} (message
 * headers) and {@link dev.conduit.protocol.ConduitException} (the root of every exception Conduit
 * throws). {@code dev.conduit.client} reads this module transitively, so they need no extra
 * dependency or {@code requires}.
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.protocol;

import org.jspecify.annotations.NullMarked;
