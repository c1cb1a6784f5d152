package co.airdress.relay.sni;

import java.io.ByteArrayOutputStream;

/** Spells out wire bytes: ints are single bytes, byte[]s are copied, {@link #u16}/{@link #u24} make big-endian fields. */
final class Bytes {

    private Bytes() {}

    static byte[] of(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof Integer b) {
                if (b < 0 || b > 0xff) {
                    throw new IllegalArgumentException("byte: " + b + " (expected: 0..255)");
                }
                out.write(b);
            } else if (part instanceof Character c) {
                out.write(c);
            } else if (part instanceof Byte b) {
                out.write(b);
            } else if (part instanceof byte[] bytes) {
                out.writeBytes(bytes);
            } else if (part instanceof String ascii) {
                out.writeBytes(ascii.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            } else {
                throw new IllegalArgumentException("part: " + part + " (expected: Integer, byte[] or String)");
            }
        }
        return out.toByteArray();
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    static byte[] u24(int v) {
        return new byte[] {(byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] zeros(int n) {
        return new byte[n];
    }
}
