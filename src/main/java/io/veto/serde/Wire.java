package io.veto.serde;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The primitives of Veto's own Flink serializers: variable-length integers and strings. Strings are
 * written as UTF-8 with their byte length, which for the ASCII identifiers payments are made of is
 * a plain copy each way (the JDK's fast paths), where Flink's {@code StringValue} encodes and
 * decodes char by char through a thread-local buffer.
 */
public final class Wire {
    private Wire() {}

    /** An unsigned LEB128 varint: 7 bits a byte, low bits first. */
    public static void writeVarLong(DataOutputView out, long v) throws IOException {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    public static long readVarLong(DataInputView in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IOException("malformed varint");
    }

    public static void writeVarInt(DataOutputView out, int v) throws IOException {
        writeVarLong(out, v & 0xFFFFFFFFL);
    }

    public static int readVarInt(DataInputView in) throws IOException {
        return (int) readVarLong(in);
    }

    /** Zig-zag then varint: small negative numbers stay small. */
    public static void writeSignedVarLong(DataOutputView out, long v) throws IOException {
        writeVarLong(out, (v << 1) ^ (v >> 63));
    }

    public static long readSignedVarLong(DataInputView in) throws IOException {
        long z = readVarLong(in);
        return (z >>> 1) ^ -(z & 1);
    }

    /** A string or null: {@code 0} for null, else the UTF-8 byte length + 1, then the bytes. */
    public static void writeString(DataOutputView out, String s) throws IOException {
        if (s == null) {
            out.writeByte(0);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeVarInt(out, b.length + 1);
        out.write(b);
    }

    public static String readString(DataInputView in) throws IOException {
        int n = readVarInt(in);
        if (n == 0) {
            return null;
        }
        byte[] b = new byte[n - 1];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Copies a string field without decoding it. */
    public static void copyString(DataInputView in, DataOutputView out) throws IOException {
        int n = readVarInt(in);
        writeVarInt(out, n);
        if (n > 1) {
            out.write(in, n - 1);
        }
    }

    public static void writeStrings(DataOutputView out, String[] a) throws IOException {
        writeVarInt(out, a.length);
        for (String s : a) {
            writeString(out, s);
        }
    }

    public static String[] readStrings(DataInputView in) throws IOException {
        String[] a = new String[readVarInt(in)];
        for (int i = 0; i < a.length; i++) {
            a[i] = readString(in);
        }
        return a;
    }
}
