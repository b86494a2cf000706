package lineage.gremlinserver.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * RFC 4180 records of a UTF-8 CSV text: fields split at commas, quoted fields may hold commas,
 * quotes (doubled) and line breaks; records end at LF or CRLF. A record that breaks the quoting
 * rules is reported with the line it starts on, and reading resumes at the next line.
 *
 * It splits the bytes, not decoded characters: the separators are ASCII, and no byte of a
 * multi-byte UTF-8 sequence is below 0x80, so each field is one run of the buffer made a String
 * in one step (a copy, for ASCII) instead of being decoded, then appended char by char. The text
 * is expected to be valid UTF-8 (the load checks every file through before reading it here); an
 * invalid sequence would read as U+FFFD.
 */
final class CsvRecords {
    /** A record that breaks the quoting rules; the rest of its line was skipped. */
    static final class BadRecord extends Exception {
        final long line;
        final boolean fatal;

        BadRecord(final String message, final long line, final boolean fatal) {
            super(message);
            this.line = line;
            this.fatal = fatal;
        }
    }

    private static final int COMMA = ',';
    private static final int LF = '\n';
    private static final int CR = '\r';
    private static final int QUOTE = '"';

    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private long line = 1;
    private boolean first = true;

    /** The fields of the record last read, its first line, and which fields were written {@code ""}. */
    final List<String> fields = new ArrayList<>();
    final BitSet emptyQuoted = new BitSet();
    long recordLine;

    /** A field that does not lie in one run of the buffer (it crosses a refill, or holds {@code ""}). */
    private byte[] spill = new byte[256];
    private int spilled;

    CsvRecords(final InputStream in) {
        this.in = in;
    }

    /** True when a byte is there to read (the buffer refilled as needed). */
    private boolean fill() throws IOException {
        if (position < limit) {
            return true;
        }
        int n;
        do {
            n = in.read(buffer, 0, buffer.length);
        } while (n == 0);
        position = 0;
        limit = Math.max(n, 0);
        return n > 0;
    }

    private int read() throws IOException {
        return fill() ? buffer[position++] & 0xff : -1;
    }

    private int peek() throws IOException {
        return fill() ? buffer[position] & 0xff : -1;
    }

    private void spill(final int from, final int to) {
        final int length = to - from;
        if (spilled + length > spill.length) {
            final byte[] larger = new byte[Math.max(spill.length * 2, spilled + length)];
            System.arraycopy(spill, 0, larger, 0, spilled);
            spill = larger;
        }
        System.arraycopy(buffer, from, spill, spilled, length);
        spilled += length;
    }

    private void spill(final int b) {
        if (spilled == spill.length) {
            final byte[] larger = new byte[spill.length * 2];
            System.arraycopy(spill, 0, larger, 0, spilled);
            spill = larger;
        }
        spill[spilled++] = (byte) b;
    }

    /** Skips a UTF-8 byte order mark at the very start of the text. */
    private void skipBom() throws IOException {
        if (!fill() || (buffer[position] & 0xff) != 0xef) {
            return;
        }
        if (limit - position < 3) {
            // A mark split across reads: keep the bytes read so far at the front and read on.
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= position;
            position = 0;
            while (limit < 3) {
                final int n = in.read(buffer, limit, buffer.length - limit);
                if (n < 0) {
                    break;
                }
                limit += n;
            }
        }
        if (limit - position >= 3 && (buffer[position + 1] & 0xff) == 0xbb && (buffer[position + 2] & 0xff) == 0xbf) {
            position += 3;
        }
    }

    /** Reads the next record into {@link #fields}; false at the end of the text. */
    boolean next() throws IOException, BadRecord {
        fields.clear();
        emptyQuoted.clear();
        recordLine = line;
        if (first) {
            first = false;
            skipBom();
        }
        if (!fill()) {
            return false;
        }
        while (true) {
            if (peek() == QUOTE) {
                position++;
                readQuoted();
                int c = read();
                if (c == COMMA) {
                    continue;
                }
                if (c == CR && peek() == LF) {
                    c = read();
                }
                if (c == LF || c == -1) {
                    if (c == LF) {
                        line++;
                    }
                    return true;
                }
                final long at = line;
                skipLine();
                throw new BadRecord("text after a closing quote (quotes inside a field must be doubled)", at, false);
            }
            final int end = readUnquoted();
            if (end == COMMA) {
                continue;
            }
            if (end == QUOTE) {
                final long at = line;
                skipLine();
                throw new BadRecord("quote inside an unquoted field (quote the field and double the quote)", at,
                        false);
            }
            if (end == LF) {
                line++;
            }
            return true;
        }
    }

    /**
     * Reads an unquoted field up to and including what ends it, adds the field, and returns that
     * end: a comma, LF, -1 for the end of the text, or a quote (the record is bad; nothing added).
     *
     * A field ended by a line break or the end of the text loses one trailing CR, and one more
     * when the break is CRLF: the CR of CRLF is no part of the field, and a lone CR before the
     * end of the record is dropped as it always was here.
     */
    private int readUnquoted() throws IOException {
        spilled = 0;
        while (true) {
            final byte[] bytes = buffer;
            final int start = position;
            final int stop = limit;
            int i = start;
            while (i < stop) {
                final byte b = bytes[i];
                if (b == COMMA || b == LF || b == QUOTE) {
                    break;
                }
                i++;
            }
            if (i == stop) {
                spill(start, stop);
                position = stop;
                if (!fill()) {
                    addUnquoted(null, 0, 0, true, false);
                    return -1;
                }
                continue;
            }
            final int end = bytes[i];
            position = i + 1;
            if (end == QUOTE) {
                // Never the field's first byte: a field that starts with a quote is read as quoted.
                return QUOTE;
            }
            addUnquoted(bytes, start, i, end == LF, end == LF);
            return end;
        }
    }

    /** Adds the field made of the spilled bytes and then {@code bytes[from, to)}, trimmed as said. */
    private void addUnquoted(final byte[] bytes, final int from, final int to, final boolean recordEnd,
                             final boolean lineFeed) {
        byte[] source;
        int start;
        int length;
        if (spilled == 0) {
            source = bytes;
            start = from;
            length = to - from;
        } else {
            if (bytes != null) {
                spill(from, to);
            }
            source = spill;
            start = 0;
            length = spilled;
        }
        if (recordEnd) {
            if (length > 0 && source[start + length - 1] == CR) {
                length--;
                if (lineFeed && length > 0 && source[start + length - 1] == CR) {
                    length--;
                }
            }
        }
        fields.add(length == 0 ? "" : new String(source, start, length, StandardCharsets.UTF_8));
    }

    private void readQuoted() throws IOException, BadRecord {
        final long start = recordLine;
        spilled = 0;
        while (true) {
            if (!fill()) {
                throw new BadRecord("unterminated quoted field at end of file", start, true);
            }
            final byte[] bytes = buffer;
            final int from = position;
            final int stop = limit;
            int i = from;
            while (i < stop) {
                final byte b = bytes[i];
                if (b == QUOTE) {
                    break;
                }
                if (b == LF) {
                    line++;
                }
                i++;
            }
            spill(from, i);
            if (i == stop) {
                position = stop;
                continue;
            }
            position = i + 1;
            if (peek() == QUOTE) {
                position++;
                spill(QUOTE);
                continue;
            }
            break;
        }
        if (spilled == 0) {
            emptyQuoted.set(fields.size());
            fields.add("");
        } else {
            fields.add(new String(spill, 0, spilled, StandardCharsets.UTF_8));
        }
    }

    private void skipLine() throws IOException {
        int c;
        do {
            c = read();
        } while (c != LF && c != -1);
        if (c == LF) {
            line++;
        }
    }
}
