package co.airdress.relay.sni;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds synthetic ClientHellos field by field, and frames handshake bytes into TLS records (also for the relay's tests). */
public final class HelloBuilder {

    int legacyVersion = 0x0303;
    byte[] random = filled(32, 0x11);
    byte[] sessionId = filled(32, 0x22);
    int[] cipherSuites = {0x1301, 0x1302, 0x1303, 0xc02f};
    byte[] compression = {0};
    boolean omitExtensions;
    final List<byte[]> extensions = new ArrayList<>();

    public static HelloBuilder hello() {
        return new HelloBuilder();
    }

    public HelloBuilder sni(String... hosts) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (String host : hosts) {
            byte[] name = host.getBytes(StandardCharsets.ISO_8859_1);
            list.write(0); // name_type host_name
            u16(list, name.length);
            list.writeBytes(name);
        }
        return extension(0x0000, vector16(list.toByteArray()));
    }

    public HelloBuilder alpn(String... protocols) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (String protocol : protocols) {
            byte[] name = protocol.getBytes(StandardCharsets.ISO_8859_1);
            list.write(name.length);
            list.writeBytes(name);
        }
        return extension(0x0010, vector16(list.toByteArray()));
    }

    HelloBuilder supportedVersions(int... versions) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        list.write(versions.length * 2);
        for (int v : versions) {
            u16(list, v);
        }
        return extension(0x002b, list.toByteArray());
    }

    HelloBuilder ech() {
        return extension(0xfe0d, filled(40, 0x33));
    }

    public HelloBuilder padding(int length) {
        return extension(0x0015, new byte[length]);
    }

    HelloBuilder extension(int type, byte[] body) {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        u16(e, type);
        u16(e, body.length);
        e.writeBytes(body);
        extensions.add(e.toByteArray());
        return this;
    }

    byte[] body() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        u16(b, legacyVersion);
        b.writeBytes(random);
        b.write(sessionId.length);
        b.writeBytes(sessionId);
        u16(b, cipherSuites.length * 2);
        for (int cs : cipherSuites) {
            u16(b, cs);
        }
        b.write(compression.length);
        b.writeBytes(compression);
        if (!omitExtensions) {
            ByteArrayOutputStream ext = new ByteArrayOutputStream();
            extensions.forEach(ext::writeBytes);
            b.writeBytes(vector16(ext.toByteArray()));
        }
        return b.toByteArray();
    }

    /** The handshake message: type client_hello, 24-bit length, body. */
    public byte[] handshake() {
        return handshake(1, body());
    }

    /** The handshake message in records of at most 16384 bytes. */
    public byte[] bytes() {
        return records(handshake(), 16384);
    }

    static byte[] handshake(int type, byte[] body) {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(type);
        h.write(body.length >>> 16);
        u16(h, body.length);
        h.writeBytes(body);
        return h.toByteArray();
    }

    /** Frames {@code payload} into handshake records of at most {@code size} payload bytes, version 0x0301. */
    public static byte[] records(byte[] payload, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int off = 0; off < payload.length; off += size) {
            int n = Math.min(size, payload.length - off);
            out.write(22);
            u16(out, 0x0301);
            u16(out, n);
            out.write(payload, off, n);
        }
        return out.toByteArray();
    }

    /** Strips the record headers from well-formed handshake records, returning their payloads joined. */
    public static byte[] unframe(byte[] records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int off = 0;
        while (off + 5 <= records.length) {
            int n = ((records[off + 3] & 0xff) << 8) | (records[off + 4] & 0xff);
            out.write(records, off + 5, Math.min(n, records.length - off - 5));
            off += 5 + n;
        }
        return out.toByteArray();
    }

    static byte[] vector16(byte[] content) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        u16(v, content.length);
        v.writeBytes(content);
        return v.toByteArray();
    }

    static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
