package org.painn4j.structure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of a UTF-8 byte stream, each decoded on its own when it is asked for: a decoder
 * reading ahead in blocks would fail a whole block, far from the bad line and before the
 * lines ahead of it are read.
 */
final class Utf8Lines implements Lines {
    private final InputStream in;
    private final byte[] block = new byte[1 << 16];
    private int at;
    private int end;
    private byte[] line = new byte[256];
    /** The last line ended with \r: a \n right after it belongs to the same line break. */
    private boolean skipNewline;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    Utf8Lines(InputStream in) {
        this.in = in;
    }

    @Override
    public String readLine() throws IOException {
        int length = 0;
        boolean ascii = true;
        boolean any = false;
        while (true) {
            if (at == end) {
                end = in.read(block, 0, block.length);
                at = 0;
                if (end <= 0) {
                    end = 0;
                    if (!any) {
                        return null;
                    }
                    break;
                }
            }
            byte b = block[at++];
            if (skipNewline) {
                skipNewline = false;
                if (b == '\n') {
                    continue;
                }
            }
            any = true;
            if (b == '\n') {
                break;
            }
            if (b == '\r') {
                skipNewline = true;
                break;
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, 2 * length);
            }
            line[length++] = b;
            ascii &= b >= 0;
        }
        if (ascii) {
            return new String(line, 0, length, StandardCharsets.ISO_8859_1);
        }
        ByteBuffer bytes = ByteBuffer.wrap(line, 0, length);
        // UTF-8 never takes fewer bytes than UTF-16 takes chars.
        CharBuffer chars = CharBuffer.allocate(length);
        decoder.reset();
        CoderResult r = decoder.decode(bytes, chars, true);
        if (!r.isError()) {
            r = decoder.flush(chars);
        }
        if (r.isError()) {
            int bad = bytes.position();
            throw new NotUtf8(bad + 1, line[bad] & 0xff);
        }
        return chars.flip().toString();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** A line that is not valid UTF-8: the 1-based column (in bytes) and value of its first bad byte. */
    static final class NotUtf8 extends IOException {
        final int column;
        final int value;

        NotUtf8(int column, int value) {
            super("not valid UTF-8");
            this.column = column;
            this.value = value;
        }
    }
}
