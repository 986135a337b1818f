package dev.conduit.transport;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.TimeUnit;

/**
 * What differs between the links a {@link NettyConnection} drives: its name, how large one flush
 * may grow, and how it ends gracefully. Raw TCP is {@link #TCP}; a WebSocket link is {@link
 * WebSocketLink}.
 */
interface LinkStyle {

    /** {@code tcp} or {@code ws}: what {@link Connection#transportName()} reports. */
    String name();

    /**
     * The most bytes one flush carries when it holds more than one frame (a single larger frame is
     * still flushed whole). A WebSocket link turns each flush into one message, and the peer bounds
     * messages; raw TCP needs no bound.
     */
    long flushBytes();

    /**
     * Runs on the event loop once everything queued is written: ends the link so that what was
     * written reaches the peer, keeps reading what the peer still sends, and closes the channel at
     * the latest after {@code lingerMillis}.
     */
    void closeGracefully(Channel channel, long lingerMillis);

    /**
     * TCP: sends FIN and waits for the peer to close its side. Closing at once with the peer's bytes
     * unread would make the kernel answer with a reset, and a reset makes the peer's kernel throw
     * away what it had received and not yet read: the last frames before a GOAWAY or a fatal ERROR
     * would be lost.
     */
    LinkStyle TCP = new LinkStyle() {
        @Override
        public String name() {
            return "tcp";
        }

        @Override
        public long flushBytes() {
            return Long.MAX_VALUE;
        }

        @Override
        public void closeGracefully(Channel channel, long lingerMillis) {
            if (channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput().addListener(f -> {
                    if (!f.isSuccess()) {
                        channel.close();
                    }
                });
                channel.eventLoop().schedule(() -> {
                    channel.close();
                }, lingerMillis, TimeUnit.MILLISECONDS);
            } else {
                channel.close();
            }
        }
    };

    /** A Unix domain socket: ends as {@link #TCP} does (half-close, then close after the linger). */
    LinkStyle UNIX = new LinkStyle() {
        @Override
        public String name() {
            return "unix";
        }

        @Override
        public long flushBytes() {
            return Long.MAX_VALUE;
        }

        @Override
        public void closeGracefully(Channel channel, long lingerMillis) {
            TCP.closeGracefully(channel, lingerMillis);
        }
    };

    /**
     * TLS over TCP: sends the TLS close_notify, then ends the TCP stream as {@link #TCP} does, so the
     * peer can tell an orderly end from a truncation.
     */
    LinkStyle TLS = new LinkStyle() {
        @Override
        public String name() {
            return "tls";
        }

        @Override
        public long flushBytes() {
            return Long.MAX_VALUE;
        }

        @Override
        public void closeGracefully(Channel channel, long lingerMillis) {
            SslHandler tls = channel.pipeline().get(SslHandler.class);
            if (tls == null) {
                TCP.closeGracefully(channel, lingerMillis);
                return;
            }
            tls.closeOutbound().addListener(f -> TCP.closeGracefully(channel, lingerMillis));
            channel.eventLoop().schedule(() -> {
                channel.close();
            }, lingerMillis, TimeUnit.MILLISECONDS);
        }
    };
}
