package lineage.gremlinserver.loader;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * RFC 4180 records of a CSV text: fields split at commas, quoted fields may hold commas, quotes
 * (doubled) and line breaks; records end at LF or CRLF. A record that breaks the quoting rules
 * is reported with the line it starts on, and reading resumes at the next line.
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

    private final Reader in;
    private final char[] buffer = new char[1 << 16];
    private int position;
    private int limit;
    private long line = 1;
    private boolean first = true;

    /** The fields of the record last read, its first line, and which fields were written {@code ""}. */
    final List<String> fields = new ArrayList<>();
    final BitSet emptyQuoted = new BitSet();
    long recordLine;

    private final StringBuilder field = new StringBuilder();

    CsvRecords(final Reader in) {
        this.in = in;
    }

    private int read() throws IOException {
        if (position == limit) {
            limit = in.read(buffer, 0, buffer.length);
            position = 0;
            if (limit <= 0) {
                limit = 0;
                return -1;
            }
        }
        return buffer[position++];
    }

    private int peek() throws IOException {
        if (position == limit) {
            limit = in.read(buffer, 0, buffer.length);
            position = 0;
            if (limit <= 0) {
                limit = 0;
                return -1;
            }
        }
        return buffer[position];
    }

    /** Reads the next record into {@link #fields}; false at the end of the text. */
    boolean next() throws IOException, BadRecord {
        fields.clear();
        emptyQuoted.clear();
        recordLine = line;
        int c = read();
        if (first) {
            first = false;
            if (c == '\ufeff') {
                c = read();
            }
        }
        if (c == -1) {
            return false;
        }
        field.setLength(0);
        while (true) {
            if (c == '"' && field.length() == 0) {
                readQuoted();
                c = read();
                if (c == ',') {
                    c = read();
                    continue;
                }
                if (c == '\r' && peek() == '\n') {
                    c = read();
                }
                if (c == '\n' || c == -1) {
                    if (c == '\n') {
                        line++;
                    }
                    return true;
                }
                final long at = line;
                skipLine();
                throw new BadRecord("text after a closing quote (quotes inside a field must be doubled)", at, false);
            }
            if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                c = read();
                continue;
            }
            if (c == '\n' || c == -1) {
                endField();
                if (c == '\n') {
                    line++;
                }
                return true;
            }
            if (c == '\r' && peek() == '\n') {
                read();
                endField();
                line++;
                return true;
            }
            if (c == '"') {
                final long at = line;
                skipLine();
                throw new BadRecord("quote inside an unquoted field (quote the field and double the quote)", at,
                        false);
            }
            field.append((char) c);
            c = read();
        }
    }

    private void endField() {
        if (field.length() > 0 && field.charAt(field.length() - 1) == '\r') {
            field.setLength(field.length() - 1);
        }
        fields.add(field.toString());
        field.setLength(0);
    }

    private void readQuoted() throws IOException, BadRecord {
        final long start = recordLine;
        while (true) {
            final int c = read();
            if (c == -1) {
                throw new BadRecord("unterminated quoted field at end of file", start, true);
            }
            if (c == '"') {
                if (peek() == '"') {
                    read();
                    field.append('"');
                    continue;
                }
                break;
            }
            if (c == '\n') {
                line++;
            }
            field.append((char) c);
        }
        if (field.length() == 0) {
            emptyQuoted.set(fields.size());
        }
        fields.add(field.toString());
        field.setLength(0);
    }

    private void skipLine() throws IOException {
        int c;
        do {
            c = read();
        } while (c != '\n' && c != -1);
        if (c == '\n') {
            line++;
        }
    }
}
