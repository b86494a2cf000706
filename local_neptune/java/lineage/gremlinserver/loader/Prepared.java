package lineage.gremlinserver.loader;

import org.apache.tinkerpop.gremlin.structure.Vertex;

/**
 * One step of a file's load as a parser thread prepared it for the writer: a record with its
 * typed property values, or an error found while reading, in the file's order.
 *
 * Properties are flat: an array or set cell of three values is three entries of the same column.
 */
final class Prepared {
    enum Kind {
        /** A vertex record, typed and ready to apply. */
        VERTEX,
        /** An edge record, typed and ready to apply. */
        EDGE,
        /** A record the format refuses (quoting): counts as a record, then an error. */
        BAD_RECORD,
        /** A well-formed record whose fields the layout refuses (width, empty id, a type). */
        REFUSED,
        /** The file cannot be read on (a bad header record, an I/O error): the file ends here. */
        FILE_ERROR,
        /** The file changed or vanished while it was read: the load fails here. */
        FEED_CHANGED
    }

    final Kind kind;
    final long line;
    final String id;
    final String label;
    final String from;
    final String to;
    /**
     * An edge's endpoints as the parser found them in the graph, or null where it did not (not
     * there yet, or no concurrent map to look in): the writer then looks them up itself.
     */
    final Vertex fromVertex;
    final Vertex toVertex;
    final CsvLayout.Column[] columns;
    final Object[] values;
    /** The error's code, message and kind ('p' parsing, 'd' datatype) for the error kinds. */
    final String code;
    final String message;
    final char errorKind;

    private Prepared(final Kind kind, final long line, final String id, final String label, final String from,
                     final String to, final Vertex fromVertex, final Vertex toVertex,
                     final CsvLayout.Column[] columns, final Object[] values, final String code,
                     final String message, final char errorKind) {
        this.kind = kind;
        this.line = line;
        this.id = id;
        this.label = label;
        this.from = from;
        this.to = to;
        this.fromVertex = fromVertex;
        this.toVertex = toVertex;
        this.columns = columns;
        this.values = values;
        this.code = code;
        this.message = message;
        this.errorKind = errorKind;
    }

    static Prepared vertex(final long line, final String id, final String label, final CsvLayout.Column[] columns,
                           final Object[] values) {
        return new Prepared(Kind.VERTEX, line, id, label, null, null, null, null, columns, values, null, null, ' ');
    }

    static Prepared edge(final long line, final String id, final String from, final String to, final String label,
                         final Vertex fromVertex, final Vertex toVertex, final CsvLayout.Column[] columns,
                         final Object[] values) {
        return new Prepared(Kind.EDGE, line, id, label, from, to, fromVertex, toVertex, columns, values, null, null,
                ' ');
    }

    static Prepared error(final Kind kind, final long line, final String code, final String message,
                          final char errorKind) {
        return new Prepared(kind, line, null, null, null, null, null, null, null, null, code, message, errorKind);
    }

    /** True for the kinds after which the file has nothing more. */
    boolean endsFile() {
        return kind == Kind.FILE_ERROR || kind == Kind.FEED_CHANGED;
    }
}
