package dev.nbdref.bitmap;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Talks to a {@link ManagementServer}: one request line out, one response line back. Not thread-safe. */
public final class ManagementClient implements Closeable {
    private final ObjectMapper json = new ObjectMapper();
    private final SocketChannel channel;
    private final OutputStream out;
    private final BoundedLineReader in;

    private ManagementClient(SocketChannel channel) {
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        this.in = new BoundedLineReader(Channels.newInputStream(channel), ManagementServer.MAX_LINE_BYTES * 4);
    }

    public static ManagementClient connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot connect to the management socket " + socket + ": " + e.getMessage(), e);
        }
        return new ManagementClient(channel);
    }

    /** An empty request to fill in. */
    public ObjectNode newRequest(String verb) {
        ObjectNode r = json.createObjectNode();
        r.put("verb", verb);
        return r;
    }

    /** Sends {@code request} and returns the parsed response. */
    public JsonNode call(JsonNode request) throws IOException {
        return json.readTree(exchange(json.writeValueAsString(request)));
    }

    /** Sends one raw line (a newline is added) and returns the raw response line. */
    public String exchange(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return readResponse();
    }

    /** The next response line, e.g. after sending several requests at once. */
    public String readResponse() throws IOException {
        BoundedLineReader.Line response = in.readLine();
        if (response == null) throw new EOFException("the server closed the management connection");
        if (response.tooLong()) throw new IOException("management response longer than the limit");
        return response.text();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
