package lineage.gremlinserver.loader;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

import org.apache.tinkerpop.gremlin.structure.Edge;
import org.apache.tinkerpop.gremlin.structure.Graph;
import org.apache.tinkerpop.gremlin.structure.Property;
import org.apache.tinkerpop.gremlin.structure.T;
import org.apache.tinkerpop.gremlin.structure.Vertex;
import org.apache.tinkerpop.gremlin.structure.VertexProperty;

/**
 * Runs one load: the CSV files of the source, vertex files first, read straight into the graph
 * with the meaning Neptune's bulk loader gives them.
 *
 * Every file is read through (gzip and bzip2 decompressed, decoded as UTF-8, header parsed) before anything is
 * written, so a truncated {@code .gz} fails as that file instead of half of it loading. A repeated
 * id merges: {@code set} properties gain values, {@code (single)} ones (and every edge property)
 * keep theirs unless {@code updateSingleCardinalityProperties}; a record that changes nothing is a
 * duplicate. A file whose size or modification time changes after the load started fails with
 * {@code LOAD_DATA_FAILED_DUE_TO_FEED_MODIFIED_OR_DELETED}.
 */
final class GraphLoad {
    static final String PARSING_ERROR = "PARSING_ERROR";
    static final String DATATYPE_ERROR = "DATA_TYPE_CONVERSION_FAIL";
    static final String FEED_CHANGED = "LOAD_DATA_FAILED_DUE_TO_FEED_MODIFIED_OR_DELETED";
    static final String READ_ERROR = "LOAD_S3_READ_ERROR";

    /** failOnError: the first error ends the load. */
    private static final class Stop extends Exception {
        Stop() {
            super(null, null, false, false);
        }
    }

    /** A file changed or vanished during the load. */
    private static final class FeedChanged extends Exception {
        FeedChanged(final String message) {
            super(message);
        }
    }

    private static final class Feed {
        final Path path;
        final String uri;
        final boolean edges;
        final long size;
        final long modified;
        final LoadJob.Counts counts;

        Feed(final Path path, final boolean edges, final BasicFileAttributes attributes) {
            this.path = path;
            this.uri = path.toUri().toString();
            this.edges = edges;
            this.size = attributes.size();
            this.modified = attributes.lastModifiedTime().toMillis();
            this.counts = new LoadJob.Counts(uri, BulkLoader.NOT_STARTED);
        }
    }

    private final LoadJob job;
    private final LoadRequest request;
    private final Graph graph;
    private final Map<String, Boolean> doneFiles;

    private final Map<Object, Vertex> vertexMap;
    private final Map<Object, Edge> edgeMap;

    GraphLoad(final LoadJob job, final Graph graph, final Map<String, Boolean> doneFiles) {
        this.job = job;
        this.request = job.request;
        this.graph = graph;
        this.doneFiles = doneFiles;
        this.vertexMap = elementMap(graph, "vertices");
        this.edgeMap = elementMap(graph, "edges");
    }

    /**
     * TinkerGraph's own id-to-element map, or null for another graph.
     *
     * {@code graph.vertices(id)} builds a stream pipeline per call; a load looks up one to three
     * ids per record, and the map lookup is several times cheaper (the map is a ConcurrentHashMap,
     * read here without any other access than get).
     */
    @SuppressWarnings("unchecked")
    private static <E> Map<Object, E> elementMap(final Graph graph, final String name) {
        for (Class<?> type = graph.getClass(); type != null; type = type.getSuperclass()) {
            try {
                final java.lang.reflect.Field field = type.getDeclaredField(name);
                field.setAccessible(true);
                final Object map = field.get(graph);
                return map instanceof Map ? (Map<Object, E>) map : null;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    private Vertex findVertex(final String id) {
        if (vertexMap != null) {
            return vertexMap.get(id);
        }
        final Iterator<Vertex> found = graph.vertices(id);
        return found.hasNext() ? found.next() : null;
    }

    private Edge findEdge(final String id) {
        if (edgeMap != null) {
            return edgeMap.get(id);
        }
        final Iterator<Edge> found = graph.edges(id);
        return found.hasNext() ? found.next() : null;
    }

    /** Runs the load to its final status (never throws: every outcome is the job's status). */
    void run() {
        final long began = System.currentTimeMillis();
        synchronized (job) {
            job.overall.startTime = began / 1000;
            job.overall.status = BulkLoader.IN_PROGRESS;
        }
        String status;
        try {
            status = load();
        } catch (RuntimeException | Error e) {
            job.error("LOAD_UNEXPECTED_ERROR", String.valueOf(e), null, 0);
            status = "LOAD_UNEXPECTED_ERROR";
        }
        synchronized (job) {
            job.overall.totalTimeSpentMs = System.currentTimeMillis() - began;
            job.overall.status = job.cancelled ? BulkLoader.CANCELLED : status;
            for (final LoadJob.Counts feed : job.feeds) {
                if (BulkLoader.IN_PROGRESS.equals(feed.status) || BulkLoader.NOT_STARTED.equals(feed.status)) {
                    feed.status = job.cancelled ? BulkLoader.CANCELLED : feed.status;
                }
            }
        }
    }

    private String load() {
        final List<Feed> feeds;
        try {
            feeds = discover();
        } catch (IOException e) {
            job.error(READ_ERROR, "cannot read the source " + request.source + ": " + describe(e), request.source, 0);
            return BulkLoader.FAILED;
        }
        if (feeds == null) {
            return BulkLoader.FAILED;
        }
        synchronized (job) {
            for (final Feed feed : feeds) {
                job.feeds.add(feed.counts);
            }
        }
        // Read every file through before writing: a broken file fails without half loading.
        final Map<Feed, CsvLayout> layouts = new LinkedHashMap<>();
        boolean unreadable = false;
        for (final Feed feed : feeds) {
            if (job.cancelled) {
                return BulkLoader.CANCELLED;
            }
            try {
                layouts.put(feed, check(feed));
            } catch (CsvLayout.FormatError e) {
                unreadable = true;
                failFeed(feed, PARSING_ERROR, e.getMessage(), e.line, BulkLoader.FAILED);
                feed.counts.parsingErrors++;
                synchronized (job) {
                    job.overall.parsingErrors++;
                }
            } catch (FeedChanged e) {
                failFeed(feed, FEED_CHANGED, e.getMessage(), 0, FEED_CHANGED);
                return BulkLoader.FAILED;
            }
        }
        if (unreadable && request.failOnError) {
            return BulkLoader.FAILED;
        }
        for (final Map.Entry<Feed, CsvLayout> entry : layouts.entrySet()) {
            final Feed feed = entry.getKey();
            if (job.cancelled) {
                return BulkLoader.CANCELLED;
            }
            final String key = feed.uri + "|" + feed.size + "|" + feed.modified;
            if (!"NEW".equals(request.mode) && doneFiles.containsKey(key)) {
                synchronized (job) {
                    feed.counts.status = BulkLoader.COMPLETED;
                }
                continue;  // RESUME / AUTO: a file an earlier load completed is not read again
            }
            synchronized (job) {
                feed.counts.status = BulkLoader.IN_PROGRESS;
                feed.counts.startTime = System.currentTimeMillis() / 1000;
            }
            final long began = System.currentTimeMillis();
            try {
                unchanged(feed);
                read(feed, entry.getValue());
                unchanged(feed);
            } catch (Stop e) {
                synchronized (job) {
                    feed.counts.status = BulkLoader.FAILED;
                    feed.counts.totalTimeSpentMs = System.currentTimeMillis() - began;
                }
                return job.cancelled ? BulkLoader.CANCELLED : BulkLoader.FAILED;
            } catch (FeedChanged e) {
                failFeed(feed, FEED_CHANGED, e.getMessage(), 0, FEED_CHANGED);
                return BulkLoader.FAILED;
            }
            synchronized (job) {
                feed.counts.totalTimeSpentMs = System.currentTimeMillis() - began;
                feed.counts.status = feed.counts.errors() > 0 ? BulkLoader.FAILED : BulkLoader.COMPLETED;
            }
            if (feed.counts.errors() == 0) {
                doneFiles.put(key, Boolean.TRUE);
            }
        }
        return BulkLoader.COMPLETED;
    }

    private void failFeed(final Feed feed, final String code, final String message, final long line,
                          final String status) {
        job.error(code, message, feed.uri, line);
        synchronized (job) {
            feed.counts.status = status;
        }
    }

    // --- files ----------------------------------------------------------------------------

    private static boolean isLoadFile(final Path relative) {
        for (final Path part : relative) {
            final String name = part.toString();
            if (name.startsWith("_") || name.startsWith(".")) {
                return false;
            }
        }
        return !relative.getFileName().toString().endsWith(".crc");
    }

    /** The load files in Neptune's order (vertex files, then edge files, each by name); null if none. */
    private List<Feed> discover() throws IOException {
        final Path root = request.path;
        if (!Files.exists(root)) {
            job.error(READ_ERROR, "source " + request.source + " does not exist", request.source, 0);
            return null;
        }
        final List<Path> paths = new ArrayList<>();
        if (Files.isRegularFile(root)) {
            paths.add(root);
        } else {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(Files::isRegularFile).filter(p -> isLoadFile(root.relativize(p))).forEach(paths::add);
            }
        }
        if (paths.isEmpty()) {
            job.error(READ_ERROR, "no load files in " + request.source + " (only _SUCCESS, .crc or hidden files?)",
                    request.source, 0);
            return null;
        }
        final List<Feed> feeds = new ArrayList<>();
        for (final Path path : new TreeSet<>(paths)) {
            final BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            boolean edges = false;
            try (Reader reader = open(path)) {
                final CsvRecords records = new CsvRecords(reader);
                if (records.next()) {
                    edges = records.fields.contains("~from");
                }
            } catch (IOException | CsvRecords.BadRecord e) {
                edges = false;  // reported by the read-through check
            }
            feeds.add(new Feed(path, edges, attributes));
        }
        feeds.sort(Comparator.comparing((Feed f) -> f.edges).thenComparing(f -> f.path.toString()));
        return feeds;
    }

    private static Reader open(final Path path) throws IOException {
        return new InputStreamReader(stream(path), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
    }

    private static InputStream stream(final Path path) throws IOException {
        final InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        final String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            return new GZIPInputStream(raw, 1 << 16);
        }
        if (name.endsWith(".bz2")) {
            return new BZip2CompressorInputStream(raw, true);
        }
        return raw;
    }

    /** The header layout, after reading the whole file through (decompressed, strict UTF-8). */
    private CsvLayout check(final Feed feed) throws CsvLayout.FormatError, FeedChanged {
        unchanged(feed);
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        final byte[] chunk = new byte[1 << 16];
        final CharBuffer chars = CharBuffer.allocate(1 << 17);
        ByteBuffer pending = ByteBuffer.allocate(0);
        long line = 1;
        try (InputStream in = stream(feed.path)) {
            while (true) {
                final int n = in.read(chunk);
                final boolean end = n < 0;
                final ByteBuffer bytes = ByteBuffer.allocate(pending.remaining() + Math.max(n, 0));
                bytes.put(pending);
                if (n > 0) {
                    bytes.put(chunk, 0, n);
                }
                bytes.flip();
                final int startPosition = bytes.position();
                chars.clear();
                final java.nio.charset.CoderResult result = decoder.decode(bytes, chars, end);
                if (result.isError()) {
                    for (int i = startPosition; i < bytes.position(); i++) {
                        if (bytes.get(i) == '\n') {
                            line++;
                        }
                    }
                    throw new CsvLayout.FormatError("not UTF-8 (invalid byte sequence); nothing of this file was "
                            + "loaded", line, false);
                }
                for (int i = startPosition; i < bytes.position(); i++) {
                    if (bytes.get(i) == '\n') {
                        line++;
                    }
                }
                pending = bytes.slice();
                if (end) {
                    break;
                }
            }
        } catch (NoSuchFileException e) {
            throw new FeedChanged("file " + feed.uri + " was deleted after the load started");
        } catch (IOException e) {
            final String lower = feed.uri.toLowerCase(Locale.ROOT);
            final String kind = lower.endsWith(".gz") ? "gzip" : lower.endsWith(".bz2") ? "bzip2" : "file";
            throw new CsvLayout.FormatError("truncated or corrupt " + kind + " (" + describe(e)
                    + "); nothing of this file was loaded", line, false);
        }
        try (Reader reader = open(feed.path)) {
            final CsvRecords records = new CsvRecords(reader);
            if (!records.next()) {
                throw new CsvLayout.FormatError("empty file: no header row", 1, false);
            }
            return CsvLayout.parse(new ArrayList<>(records.fields));
        } catch (CsvRecords.BadRecord e) {
            throw new CsvLayout.FormatError(e.getMessage(), e.line, false);
        } catch (CharacterCodingException e) {
            throw new CsvLayout.FormatError("not UTF-8 (" + describe(e) + ")", 1, false);
        } catch (IOException e) {
            throw new CsvLayout.FormatError("cannot read the header (" + describe(e) + ")", 1, false);
        }
    }

    private static void unchanged(final Feed feed) throws FeedChanged {
        final BasicFileAttributes now;
        try {
            now = Files.readAttributes(feed.path, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new FeedChanged("file " + feed.uri + " was deleted after the load started");
        }
        if (now.size() != feed.size || now.lastModifiedTime().toMillis() != feed.modified) {
            throw new FeedChanged("file " + feed.uri + " was modified after the load started (size " + feed.size
                    + " -> " + now.size() + ")");
        }
    }

    static String describe(final Throwable e) {
        final String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }

    // --- records --------------------------------------------------------------------------

    private void read(final Feed feed, final CsvLayout layout) throws Stop, FeedChanged {
        try (Reader reader = open(feed.path)) {
            final CsvRecords records = new CsvRecords(reader);
            try {
                records.next();  // the header, parsed by the check
            } catch (CsvRecords.BadRecord e) {
                error(feed, PARSING_ERROR, e.getMessage(), e.line, 'p');
                return;
            }
            long count = 0;
            while (true) {
                try {
                    if (!records.next()) {
                        break;
                    }
                } catch (CsvRecords.BadRecord e) {
                    count(feed, 1, 0);
                    error(feed, PARSING_ERROR, e.getMessage(), e.line, 'p');
                    if (e.fatal) {
                        break;
                    }
                    continue;
                }
                if ((++count & 1023) == 0 && job.cancelled) {
                    throw new Stop();
                }
                count(feed, 1, 0);
                record(feed, layout, records);
            }
        } catch (NoSuchFileException e) {
            throw new FeedChanged("file " + feed.uri + " was deleted after the load started");
        } catch (IOException e) {
            unchanged(feed);  // a file replaced under the reader fails as modified
            count(feed, 0, 0);
            error(feed, PARSING_ERROR, "cannot read on (" + describe(e) + ")", 0, 'p');
        }
    }

    private void count(final Feed feed, final long records, final long duplicates) {
        feed.counts.totalRecords += records;
        feed.counts.totalDuplicates += duplicates;
        job.overall.totalRecords += records;
        job.overall.totalDuplicates += duplicates;
    }

    private void error(final Feed feed, final String code, final String message, final long line, final char kind)
            throws Stop {
        job.error(code, message, feed.uri, line);
        synchronized (job) {
            if (kind == 'p') {
                feed.counts.parsingErrors++;
                job.overall.parsingErrors++;
            } else if (kind == 'd') {
                feed.counts.datatypeMismatchErrors++;
                job.overall.datatypeMismatchErrors++;
            } else {
                feed.counts.insertErrors++;
                job.overall.insertErrors++;
            }
        }
        if (request.failOnError) {
            throw new Stop();
        }
    }

    /** One property's values from a record (several for arrays and sets). */
    private static final class Values {
        final CsvLayout.Column column;
        final List<Object> values;

        Values(final CsvLayout.Column column, final List<Object> values) {
            this.column = column;
            this.values = values;
        }
    }

    private void record(final Feed feed, final CsvLayout layout, final CsvRecords records) throws Stop {
        final List<String> fields = records.fields;
        final long line = records.recordLine;
        if (fields.size() != layout.width) {
            if (fields.size() == 1 && fields.get(0).isEmpty()) {
                error(feed, PARSING_ERROR, "blank line", line, 'p');
            } else {
                error(feed, PARSING_ERROR, "expected " + layout.width + " fields as in the header, found "
                        + fields.size(), line, 'p');
            }
            return;
        }
        final String id = fields.get(layout.idIndex);
        if (id.isEmpty()) {
            error(feed, PARSING_ERROR, "empty ~id", line, 'p');
            return;
        }
        final List<Values> properties = new ArrayList<>(layout.columns.length);
        for (final CsvLayout.Column column : layout.columns) {
            final String text = fields.get(column.index);
            if (text.isEmpty()) {
                if (column.type == CsvLayout.Type.STRING && request.allowEmptyStrings
                        && records.emptyQuoted.get(column.index)) {
                    properties.add(new Values(column, List.of("")));
                }
                continue;
            }
            try {
                if (column.array) {
                    final List<Object> values = new ArrayList<>();
                    for (final String part : CsvLayout.arrayParts(text)) {
                        values.add(CsvLayout.value(column.type, part));
                    }
                    if (!values.isEmpty()) {
                        properties.add(new Values(column, values));
                    }
                } else {
                    properties.add(new Values(column, List.of(CsvLayout.value(column.type, text))));
                }
            } catch (IllegalArgumentException e) {
                error(feed, DATATYPE_ERROR, "column '" + column.header + "': " + e.getMessage() + ": '"
                        + clip(text) + "'", line, 'd');
                return;
            }
        }
        final String labelText = layout.labelIndex >= 0 ? fields.get(layout.labelIndex) : "";
        if (layout.kind == CsvLayout.Kind.VERTEX) {
            vertex(feed, id, labelText.isEmpty() ? "vertex" : joinedLabel(labelText), properties, line);
        } else {
            final String from = fields.get(layout.fromIndex);
            final String to = fields.get(layout.toIndex);
            if (from.isEmpty() || to.isEmpty()) {
                error(feed, PARSING_ERROR, from.isEmpty() ? "empty ~from" : "empty ~to", line, 'p');
                return;
            }
            edge(feed, id, from, to, labelText.isEmpty() ? "edge" : labelText, properties, line);
        }
    }

    /** Several labels ({@code A;B}) as the one label Neptune returns for them, {@code A::B}. */
    private static String joinedLabel(final String text) {
        if (text.indexOf(';') < 0) {
            return text;
        }
        return String.join("::", new TreeSet<>(CsvLayout.arrayParts(text)));
    }

    /** A value as an error message shows it: strings quoted, so {@code '1'} and {@code 1} differ. */
    private static String show(final Object value) {
        return value instanceof String ? "'" + clip((String) value) + "'" : String.valueOf(value);
    }

    private static String clip(final String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    private static Object stored(final Iterator<? extends Property<Object>> found) {
        return found.hasNext() ? found.next().value() : null;
    }

    private void vertex(final Feed feed, final String id, final String label, final List<Values> properties,
                        final long line) throws Stop {
        final Vertex existing = findVertex(id);
        if (existing == null) {
            final Vertex vertex = graph.addVertex(T.id, id, T.label, label);
            for (final Values property : properties) {
                for (final Object value : property.values) {
                    vertex.property(property.column.single ? VertexProperty.Cardinality.single
                            : VertexProperty.Cardinality.set, property.column.name, value);
                }
            }
            return;
        }
        final Vertex vertex = existing;
        if (!vertex.label().equals(label)) {
            error(feed, "LABEL_CONFLICT", "vertex '" + id + "' exists with label '" + vertex.label() + "', not '"
                    + label + "' (the local graph cannot relabel a vertex)", line, 'i');
            return;
        }
        // Check every single value first: a refused record changes nothing.
        boolean changes = false;
        for (final Values property : properties) {
            final String name = property.column.name;
            if (property.column.single) {
                final Object value = property.values.get(0);
                final Iterator<VertexProperty<Object>> old = vertex.properties(name);
                if (!old.hasNext()) {
                    changes = true;
                    continue;
                }
                final Object current = old.next().value();
                if (!Objects.equals(current, value) || old.hasNext()) {
                    if (!request.updateSingleCardinality) {
                        error(feed, "CARDINALITY_VIOLATION", "vertex '" + id + "': single property '" + name
                                + "' holds " + show(current) + ", not " + show(value)
                                + " (updateSingleCardinalityProperties is off)", line, 'i');
                        return;
                    }
                    changes = true;
                }
            } else {
                for (final Object value : property.values) {
                    if (!hasValue(vertex, name, value)) {
                        changes = true;
                    }
                }
            }
        }
        if (!changes) {
            count(feed, 0, 1);
            return;
        }
        for (final Values property : properties) {
            for (final Object value : property.values) {
                vertex.property(property.column.single ? VertexProperty.Cardinality.single
                        : VertexProperty.Cardinality.set, property.column.name, value);
            }
        }
    }

    private static boolean hasValue(final Vertex vertex, final String name, final Object value) {
        final Iterator<VertexProperty<Object>> values = vertex.properties(name);
        while (values.hasNext()) {
            if (Objects.equals(values.next().value(), value)) {
                return true;
            }
        }
        return false;
    }

    private void edge(final Feed feed, final String id, final String from, final String to, final String label,
                      final List<Values> properties, final long line) throws Stop {
        final Edge edge = findEdge(id);
        if (edge != null) {
            final String out = String.valueOf(edge.outVertex().id());
            final String in = String.valueOf(edge.inVertex().id());
            if (!edge.label().equals(label) || !out.equals(from) || !in.equals(to)) {
                error(feed, "EDGE_ID_CONFLICT", "edge '" + id + "' exists as '" + out + "'-" + edge.label() + "->'"
                        + in + "', not '" + from + "'-" + label + "->'" + to + "'", line, 'i');
                return;
            }
            boolean changes = false;
            for (final Values property : properties) {
                final Object value = property.values.get(0);
                final Object current = stored(edge.properties(property.column.name));
                if (current == null) {
                    changes = true;
                } else if (!Objects.equals(current, value)) {
                    if (!request.updateSingleCardinality) {
                        error(feed, "CARDINALITY_VIOLATION", "edge '" + id + "': property '" + property.column.name
                                + "' holds " + show(current) + ", not " + show(value)
                                + " (updateSingleCardinalityProperties is off)", line, 'i');
                        return;
                    }
                    changes = true;
                }
            }
            if (!changes) {
                count(feed, 0, 1);
                return;
            }
            for (final Values property : properties) {
                edge.property(property.column.name, property.values.get(0));
            }
            return;
        }
        final Vertex out = findVertex(from);
        final Vertex in = findVertex(to);
        if (out == null || in == null) {
            error(feed, "FROM_OR_TO_VERTEX_ARE_MISSING", "edge '" + id + "': "
                    + (out == null ? "from vertex '" + from + "'" : "to vertex '" + to + "'")
                    + " is not in the graph", line, 'i');
            return;
        }
        final Object[] keyValues = new Object[4 + 2 * properties.size()];
        keyValues[0] = T.id;
        keyValues[1] = id;
        int i = 2;
        for (final Values property : properties) {
            keyValues[i++] = property.column.name;
            keyValues[i++] = property.values.get(0);
        }
        final Object[] trimmed = java.util.Arrays.copyOf(keyValues, i);
        out.addEdge(label, in, trimmed);
    }
}
