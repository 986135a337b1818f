package dev.conduit.client;

import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import org.jspecify.annotations.Nullable;

/** A message as delivered by the server, able to reply through the client that received it. */
final class ReceivedMessage implements Message {
    private final ConduitClient client;
    private final MessageBody body;

    ReceivedMessage(ConduitClient client, MessageBody body) {
        this.client = client;
        this.body = body;
    }

    /** The payload's length, for credit accounting, without copying it. */
    int payloadLength() {
        return body.payloadLength();
    }

    @Override
    public String subject() {
        return body.subject();
    }

    @Override
    public @Nullable String replyTo() {
        return body.replyTo();
    }

    @Override
    public Headers headers() {
        return body.headers();
    }

    @Override
    public byte[] payload() {
        return body.payload();
    }

    @Override
    public void reply(Headers headers, byte[] payload) {
        if (body.replyTo() == null) {
            throw new IllegalStateException("message on subject '" + body.subject() + "' has no reply subject");
        }
        client.reply(body.replyTo(), headers, payload);
    }

    @Override
    public String toString() {
        return "Message[subject=" + subject() + ", replyTo=" + replyTo() + ", " + body.payload().length + " bytes]";
    }
}
