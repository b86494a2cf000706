package lineage.gremlinserver.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentMap;

import org.apache.tinkerpop.gremlin.structure.Vertex;

/**
 * Reads one load file into {@link Prepared} steps, a batch at a time: CSV records split, fields
 * checked against the header's layout, cells typed. It touches no graph, so parser threads run
 * it for several files at once while the one writer applies earlier batches.
 *
 * Repeated strings are shared: labels within the file, property values across the load
 * ({@link SharedValues}), so the graph holds one copy instead of one per element, which keeps the
 * heap of a large load smaller.
 */
final class FileParser implements AutoCloseable {
    static final int BATCH = 2048;
    private static final int LABELS_MAX_ENTRIES = 4096;
    /** The strings of a column looked up before it is judged worth sharing (see {@link #share}). */
    static final int PROBE = 4096;

    private final GraphLoad.Feed feed;
    private final CsvLayout layout;
    private final boolean allowEmptyStrings;
    private final Map<String, String> labels = new HashMap<>();
    private final SharedValues shared;
    private final ConcurrentMap<Object, Vertex> vertices;
    private InputStream input;
    private CsvRecords records;
    private boolean done;
    /** Per property column: values looked up in the shared table, how many found, whether it stopped. */
    private final int[] lookups;
    private final int[] hits;
    private final boolean[] unshared;

    FileParser(final GraphLoad.Feed feed, final CsvLayout layout, final boolean allowEmptyStrings,
               final SharedValues shared, final ConcurrentMap<Object, Vertex> vertices) {
        this.feed = feed;
        this.layout = layout;
        this.allowEmptyStrings = allowEmptyStrings;
        this.shared = shared;
        this.vertices = vertices;
        this.lookups = new int[layout.columns.length];
        this.hits = new int[layout.columns.length];
        this.unshared = new boolean[layout.columns.length];
    }

    /** The next steps of the file (at most {@link #BATCH}), or null once it has ended. Never throws. */
    List<Prepared> next() {
        if (done) {
            return null;
        }
        final List<Prepared> batch = new ArrayList<>(BATCH);
        try {
            if (records == null) {
                input = GraphLoad.open(feed.path);
                records = new CsvRecords(input);
                try {
                    records.next();  // the header, parsed by the read-through check
                } catch (CsvRecords.BadRecord e) {
                    return end(batch, Prepared.error(Prepared.Kind.FILE_ERROR, e.line, GraphLoad.PARSING_ERROR,
                            e.getMessage(), 'p'));
                }
            }
            while (batch.size() < BATCH) {
                try {
                    if (!records.next()) {
                        return end(batch, null);
                    }
                } catch (CsvRecords.BadRecord e) {
                    batch.add(Prepared.error(Prepared.Kind.BAD_RECORD, e.line, GraphLoad.PARSING_ERROR,
                            e.getMessage(), 'p'));
                    if (e.fatal) {
                        return end(batch, null);
                    }
                    continue;
                }
                batch.add(layout.kind == CsvLayout.Kind.VERTEX ? vertex() : edge());
            }
            return batch;
        } catch (NoSuchFileException e) {
            return end(batch, changed());
        } catch (IOException e) {
            try {
                GraphLoad.unchanged(feed);  // a file replaced under the reader fails as modified
            } catch (GraphLoad.FeedChanged changed) {
                return end(batch, Prepared.error(Prepared.Kind.FEED_CHANGED, 0, GraphLoad.FEED_CHANGED,
                        changed.getMessage(), 'p'));
            }
            return end(batch, Prepared.error(Prepared.Kind.FILE_ERROR, 0, GraphLoad.PARSING_ERROR,
                    "cannot read on (" + GraphLoad.describe(e) + ")", 'p'));
        }
    }

    private Prepared changed() {
        return Prepared.error(Prepared.Kind.FEED_CHANGED, 0, GraphLoad.FEED_CHANGED,
                "file " + feed.uri + " was deleted after the load started", 'p');
    }

    private List<Prepared> end(final List<Prepared> batch, final Prepared last) {
        if (last != null) {
            batch.add(last);
        }
        done = true;
        close();
        return batch;
    }

    @Override
    public void close() {
        if (input != null) {
            try {
                input.close();
            } catch (IOException e) {
                // nothing more is read from it
            }
            input = null;
        }
    }

    // --- one record -----------------------------------------------------------------------

    private Prepared refused(final String message) {
        return Prepared.error(Prepared.Kind.REFUSED, records.recordLine, GraphLoad.PARSING_ERROR, message, 'p');
    }

    /** The record's shape checked; null when it is fine, else the refusal. */
    private Prepared shape(final List<String> fields) {
        if (fields.size() != layout.width) {
            if (fields.size() == 1 && fields.get(0).isEmpty()) {
                return refused("blank line");
            }
            return refused("expected " + layout.width + " fields as in the header, found " + fields.size());
        }
        if (fields.get(layout.idIndex).isEmpty()) {
            return refused("empty ~id");
        }
        return null;
    }

    private Prepared vertex() {
        final List<String> fields = records.fields;
        final Prepared wrong = shape(fields);
        if (wrong != null) {
            return wrong;
        }
        final Typed typed = typed(fields);
        if (typed.refused != null) {
            return typed.refused;
        }
        final String labelText = layout.labelIndex >= 0 ? fields.get(layout.labelIndex) : "";
        final String label = labelText.isEmpty() ? "vertex" : label(joinedLabel(labelText));
        final String id = fields.get(layout.idIndex);
        id.hashCode();  // cached in the string, ready for the writer's lookups
        return Prepared.vertex(records.recordLine, id, label, typed.columns(), typed.values());
    }

    private Prepared edge() {
        final List<String> fields = records.fields;
        final Prepared wrong = shape(fields);
        if (wrong != null) {
            return wrong;
        }
        final Typed typed = typed(fields);
        if (typed.refused != null) {
            return typed.refused;
        }
        final String from = fields.get(layout.fromIndex);
        final String to = fields.get(layout.toIndex);
        if (from.isEmpty() || to.isEmpty()) {
            return refused(from.isEmpty() ? "empty ~from" : "empty ~to");
        }
        final String labelText = layout.labelIndex >= 0 ? fields.get(layout.labelIndex) : "";
        final String label = labelText.isEmpty() ? "edge" : label(labelText);
        final String id = fields.get(layout.idIndex);
        // Strings cache their hash: computed here, the writer's map lookups find it ready.
        id.hashCode();
        // The endpoints are looked up here, off the writer: two of its three lookups per edge,
        // each a likely cache miss in a large graph. One not found yet (its vertex file may still
        // be applying) the writer looks up again.
        final Vertex out = vertices == null ? null : vertices.get(from);
        final Vertex in = vertices == null ? null : vertices.get(to);
        return Prepared.edge(records.recordLine, id, from, to, label, out, in, typed.columns(),
                typed.values());
    }

    /** A record's typed property cells as (column, value) pairs, or the refusal of one cell. */
    private static final class Typed {
        CsvLayout.Column[] columns;
        Object[] values;
        int size;
        Prepared refused;

        Typed(final int room) {
            columns = new CsvLayout.Column[room];
            values = new Object[room];
        }

        void add(final CsvLayout.Column column, final Object value) {
            if (size == columns.length) {
                columns = Arrays.copyOf(columns, size * 2 + 1);
                values = Arrays.copyOf(values, size * 2 + 1);
            }
            columns[size] = column;
            values[size++] = value;
        }

        CsvLayout.Column[] columns() {
            return size == columns.length ? columns : Arrays.copyOf(columns, size);
        }

        Object[] values() {
            return size == values.length ? values : Arrays.copyOf(values, size);
        }
    }

    /**
     * The typed values of the record's property cells; when a cell does not convert, the
     * datatype refusal of the first that does not.
     */
    private Typed typed(final List<String> fields) {
        final Typed out = new Typed(layout.columns.length);
        for (int c = 0; c < layout.columns.length; c++) {
            final CsvLayout.Column column = layout.columns[c];
            final String text = fields.get(column.index);
            if (text.isEmpty()) {
                if (column.type == CsvLayout.Type.STRING && allowEmptyStrings
                        && records.emptyQuoted.get(column.index)) {
                    out.add(column, "");
                }
                continue;
            }
            try {
                if (column.array) {
                    // A set holds each value once: the duplicates of one cell are dropped here.
                    final Set<Object> values = new LinkedHashSet<>();
                    for (final String part : CsvLayout.arrayParts(text)) {
                        values.add(share(c, CsvLayout.value(column.type, part)));
                    }
                    for (final Object value : values) {
                        out.add(column, value);
                    }
                } else {
                    out.add(column, share(c, CsvLayout.value(column.type, text)));
                }
            } catch (IllegalArgumentException e) {
                out.refused = Prepared.error(Prepared.Kind.REFUSED, records.recordLine, GraphLoad.DATATYPE_ERROR,
                        "column '" + column.header + "': " + e.getMessage() + ": '" + GraphLoad.clip(text) + "'",
                        'd');
                return out;
            }
        }
        return out;
    }

    /**
     * The shared copy of a string value of column {@code c} while the column repeats its values.
     *
     * A column whose first {@link #PROBE} strings found almost nothing to share (hashes, keys,
     * timestamps as text) stops looking for the rest of the file: each look is a hash over the
     * value and a likely cache miss in a table of up to a million entries, and the entries it
     * adds only crowd the table. A column that does repeat (plan ids, URIs, kinds) keeps sharing.
     */
    private Object share(final int c, final Object value) {
        if (unshared[c] || !(value instanceof String)) {
            return value;
        }
        final Object copy = shared.share(value);
        if (lookups[c] < PROBE) {
            if (copy != value) {
                hits[c]++;
            }
            if (++lookups[c] == PROBE && hits[c] < PROBE / 8) {
                unshared[c] = true;
            }
        }
        return copy;
    }

    private String label(final String text) {
        final String known = labels.get(text);
        if (known != null) {
            return known;
        }
        if (labels.size() < LABELS_MAX_ENTRIES) {
            labels.put(text, text);
        }
        return text;
    }

    /** Several labels ({@code A;B}) as the one label Neptune returns for them, {@code A::B}. */
    private static String joinedLabel(final String text) {
        if (text.indexOf(';') < 0) {
            return text;
        }
        return String.join("::", new TreeSet<>(CsvLayout.arrayParts(text)));
    }
}
