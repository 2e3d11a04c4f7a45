package dev.nbdref.cli;

/** A listen address as written on the command line: {@code HOST:PORT}, IPv6 hosts in brackets. */
record Listen(String host, int port) {
    static Listen parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("listen address \"" + text + "\" needs HOST:PORT");
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port in \"" + text + "\" (0-65535)");
        return new Listen(host, port);
    }
}
