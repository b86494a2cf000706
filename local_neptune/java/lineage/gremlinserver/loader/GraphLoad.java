package lineage.gremlinserver.loader;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

import org.apache.tinkerpop.gremlin.structure.Edge;
import org.apache.tinkerpop.gremlin.structure.Graph;
import org.apache.tinkerpop.gremlin.structure.Property;
import org.apache.tinkerpop.gremlin.structure.T;
import org.apache.tinkerpop.gremlin.structure.Vertex;
import org.apache.tinkerpop.gremlin.structure.VertexProperty;
import org.apache.tinkerpop.gremlin.tinkergraph.structure.AbstractTinkerGraph;
import org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerVertex;

/**
 * Runs one load: the CSV files of the source, vertex files first, read straight into the graph
 * with the meaning Neptune's bulk loader gives them.
 *
 * This class is the writer: it runs on the load's own thread and is the only one to touch the
 * graph. Parser threads ({@link LoadThreads}, as many as {@code parallelism} allows beside it) run
 * the read-through checks and turn the files into typed {@link Prepared} records
 * ({@link FileParser}), which the writer applies file by file in the load's order
 * ({@link Batches}): the outcome is the same for every parallelism.
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
    static final class FeedChanged extends Exception {
        FeedChanged(final String message) {
            super(message);
        }
    }

    /** One file of the load: where it is, what it was when the load began, its counts. */
    static final class Feed {
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

        /** The file as RESUME and AUTO remember it: a changed file is read again. */
        String key() {
            return uri + "|" + size + "|" + modified;
        }
    }

    private final LoadJob job;
    private final LoadRequest request;
    private final Graph graph;
    private final Map<String, Boolean> doneFiles;

    private final Map<Object, Vertex> vertexMap;
    private final Map<Object, Edge> edgeMap;
    /** TinkerGraph's id counter where it gives vertex properties the next free number; else null. */
    private final AtomicLong propertyIds;
    /**
     * TinkerVertex's own map of property lists (see {@link #compact}) and edge sets by label (see
     * {@link #roomFor}); null where unreadable. Handles, not reflection: the JIT makes each a
     * plain field access, where {@code Field.get} was a twentieth of the writer's time.
     */
    private static final VarHandle vertexProperties = vertexField("properties");
    private static final VarHandle outEdges = vertexField("outEdges");
    private static final VarHandle inEdges = vertexField("inEdges");

    GraphLoad(final LoadJob job, final Graph graph, final Map<String, Boolean> doneFiles) {
        this.job = job;
        this.request = job.request;
        this.graph = graph;
        this.doneFiles = doneFiles;
        this.vertexMap = elementMap(graph, "vertices");
        this.edgeMap = elementMap(graph, "edges");
        this.propertyIds = propertyIds(graph);
    }

    /**
     * The counter TinkerGraph draws vertex property ids from, when they are plain numbers from it.
     *
     * TinkerGraph's ANY and LONG managers take {@code currentId + 1} through a stream that skips
     * numbers already used as vertex or edge ids; with STRING vertex and edge ids no number ever
     * is, so the next id is simply the counter's next value. The stream, per property, was a tenth
     * of the load's time. Any other configuration keeps TinkerGraph's own generation.
     */
    private static AtomicLong propertyIds(final Graph graph) {
        if (!(graph instanceof AbstractTinkerGraph)) {
            return null;
        }
        try {
            final Object vertices = field(graph, "vertexIdManager");
            final Object edges = field(graph, "edgeIdManager");
            final Object properties = field(graph, "vertexPropertyIdManager");
            final Object counter = field(graph, "currentId");
            final boolean stringIds = vertices == AbstractTinkerGraph.DefaultIdManager.STRING
                    && edges == AbstractTinkerGraph.DefaultIdManager.STRING;
            final boolean counted = properties == AbstractTinkerGraph.DefaultIdManager.ANY
                    || properties == AbstractTinkerGraph.DefaultIdManager.LONG;
            return stringIds && counted && counter instanceof AtomicLong ? (AtomicLong) counter : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Object field(final Graph graph, final String name) throws ReflectiveOperationException {
        final java.lang.reflect.Field field = AbstractTinkerGraph.class.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(graph);
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

    /** TinkerGraph's id-to-vertex map where parser threads may read it (a concurrent map); else null. */
    private ConcurrentMap<Object, Vertex> concurrentVertices() {
        return vertexMap instanceof ConcurrentMap ? (ConcurrentMap<Object, Vertex>) vertexMap : null;
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
        try (LoadThreads threads = new LoadThreads(request.threads(Runtime.getRuntime().availableProcessors()))) {
            return load(feeds, threads);
        }
    }

    private String load(final List<Feed> feeds, final LoadThreads threads) {
        // Read every file through before writing: a broken file fails without half loading.
        // The checks run on the parser threads; their outcomes are taken in the files' order.
        final List<Future<Checked>> checks = new ArrayList<>();
        for (final Feed feed : feeds) {
            checks.add(threads.submit(() -> Checked.of(feed)));
        }
        final Map<Feed, CsvLayout> layouts = new LinkedHashMap<>();
        final Map<Feed, Long> lineFeeds = new HashMap<>();
        boolean unreadable = false;
        for (int i = 0; i < feeds.size(); i++) {
            final Feed feed = feeds.get(i);
            if (job.cancelled) {
                return BulkLoader.CANCELLED;
            }
            final Checked checked = threads.result(checks.get(i));
            if (checked.format != null) {
                unreadable = true;
                failFeed(feed, PARSING_ERROR, checked.format.getMessage(), checked.format.line, BulkLoader.FAILED);
                feed.counts.parsingErrors++;
                synchronized (job) {
                    job.overall.parsingErrors++;
                }
            } else if (checked.changed != null) {
                failFeed(feed, FEED_CHANGED, checked.changed.getMessage(), 0, FEED_CHANGED);
                return BulkLoader.FAILED;
            } else {
                layouts.put(feed, checked.layout);
                lineFeeds.put(feed, checked.lineFeeds);
            }
        }
        if (unreadable && request.failOnError) {
            return BulkLoader.FAILED;
        }
        // RESUME / AUTO: a file an earlier load completed is not read again.
        final List<Feed> toRead = new ArrayList<>();
        for (final Feed feed : layouts.keySet()) {
            if ("NEW".equals(request.mode) || !doneFiles.containsKey(feed.key())) {
                toRead.add(feed);
            }
        }
        presize(toRead, lineFeeds);
        try (Batches.Window window = new Batches.Window(threads, toRead, layouts, request.allowEmptyStrings,
                concurrentVertices())) {
            return write(layouts, toRead, window);
        }
    }

    /**
     * Grows TinkerGraph's id maps once to the size the files will bring them to, before writing.
     *
     * The maps are ConcurrentHashMaps made with room for sixteen: filled one element at a time,
     * a load of millions doubles them some twenty times, and each doubling copies most of the
     * map's nodes (presized, a 3.7M-element load took about 8 % less server CPU). The line
     * feeds the read-through check counted bound the records (a quoted line break counts one
     * too many, which only presizes a little more).
     */
    private void presize(final List<Feed> toRead, final Map<Feed, Long> lineFeeds) {
        long vertices = 0;
        long edges = 0;
        for (final Feed feed : toRead) {
            final long records = Math.max(0, lineFeeds.get(feed) - 1);  // less the header
            if (feed.edges) {
                edges += records;
            } else {
                vertices += records;
            }
        }
        presize(vertexMap, vertices);
        presize(edgeMap, edges);
    }

    /**
     * Below what a loaded element costs on the heap (about 1,200 bytes each at 3.7M elements): a
     * count beyond {@code maxMemory} / this is no graph that could come. A small gzip of blank
     * lines has hundreds of millions of them, and sizing the maps for those would fill the heap
     * with an empty table before the parse refuses the first one.
     */
    private static final long MIN_ELEMENT_BYTES = 256;

    /** {@code putAll} of an empty map that reports {@code coming} entries: the map's own presize. */
    private static void presize(final Map<Object, ?> map, final long coming) {
        if (!(map instanceof ConcurrentMap) || coming <= map.size()) {
            return;  // a reload of what is there, or a map whose growth is not ours to plan
        }
        final long affordable = Runtime.getRuntime().maxMemory() / MIN_ELEMENT_BYTES;
        final int size = (int) Math.min(Math.min(coming, affordable), 1 << 29);
        @SuppressWarnings("unchecked")
        final Map<Object, Object> target = (Map<Object, Object>) map;
        target.putAll(new java.util.AbstractMap<Object, Object>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Set<Map.Entry<Object, Object>> entrySet() {
                return java.util.Collections.emptySet();
            }
        });
    }

    /** Applies the files in order, each from its prepared batches; the load's final status. */
    private String write(final Map<Feed, CsvLayout> layouts, final List<Feed> toRead, final Batches.Window window) {
        for (final Map.Entry<Feed, CsvLayout> entry : layouts.entrySet()) {
            final Feed feed = entry.getKey();
            if (job.cancelled) {
                return BulkLoader.CANCELLED;
            }
            if (!toRead.contains(feed)) {
                synchronized (job) {
                    feed.counts.status = BulkLoader.COMPLETED;
                }
                continue;
            }
            synchronized (job) {
                feed.counts.status = BulkLoader.IN_PROGRESS;
                feed.counts.startTime = System.currentTimeMillis() / 1000;
            }
            final long began = System.currentTimeMillis();
            try {
                unchanged(feed);
                final Batches batches = window.open(feed);
                if (entry.getValue().kind == CsvLayout.Kind.VERTEX) {
                    applyVertices(feed, batches);
                } else {
                    applyEdges(feed, batches);
                }
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
                doneFiles.put(feed.key(), Boolean.TRUE);
            }
        }
        return BulkLoader.COMPLETED;
    }

    /** What the read-through check of one file found: its layout, or why it cannot load. */
    private static final class Checked {
        long lineFeeds;
        CsvLayout layout;
        CsvLayout.FormatError format;
        FeedChanged changed;

        static Checked of(final Feed feed) {
            final Checked checked = new Checked();
            try {
                checked.layout = check(feed, checked);
            } catch (CsvLayout.FormatError e) {
                checked.format = e;
            } catch (FeedChanged e) {
                checked.changed = e;
            }
            return checked;
        }
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
            try (InputStream in = open(path)) {
                final CsvRecords records = new CsvRecords(in);
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

    /** The file's bytes, decompressed; its text is UTF-8 once {@link #check} passed it. */
    static InputStream open(final Path path) throws IOException {
        return stream(path);
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

    /**
     * The header layout, after reading the whole file through (decompressed, strict UTF-8).
     *
     * Most of a build's bytes are ASCII, which is valid UTF-8 as it stands: a chunk of ASCII
     * bytes with no sequence pending from the one before skips the decoder. Its line feeds are
     * counted into {@code counted} (they size the graph's maps); the line of a refused byte
     * sequence is found by reading the file again up to it.
     */
    private static CsvLayout check(final Feed feed, final Checked counted) throws CsvLayout.FormatError, FeedChanged {
        unchanged(feed);
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        final byte[] chunk = new byte[1 << 16];
        final CharBuffer chars = CharBuffer.allocate(1 << 17);
        ByteBuffer pending = ByteBuffer.allocate(0);
        long offset = 0;  // bytes of the text before `pending`, all valid
        try (InputStream in = stream(feed.path)) {
            while (true) {
                final int n = in.read(chunk);
                final boolean end = n < 0;
                if (!end) {
                    counted.lineFeeds += lineFeeds(chunk, n);
                }
                if (!end && !pending.hasRemaining() && ascii(chunk, n)) {
                    offset += n;
                    continue;
                }
                final ByteBuffer bytes = ByteBuffer.allocate(pending.remaining() + Math.max(n, 0));
                bytes.put(pending);
                if (n > 0) {
                    bytes.put(chunk, 0, n);
                }
                bytes.flip();
                chars.clear();
                final java.nio.charset.CoderResult result = decoder.decode(bytes, chars, end);
                if (result.isError()) {
                    throw new CsvLayout.FormatError("not UTF-8 (invalid byte sequence); nothing of this file was "
                            + "loaded", lineAt(feed, offset + bytes.position()), false);
                }
                offset += bytes.position();
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
                    + "); nothing of this file was loaded", lineAt(feed, offset), false);
        }
        try (InputStream in = open(feed.path)) {
            final CsvRecords records = new CsvRecords(in);
            if (!records.next()) {
                throw new CsvLayout.FormatError("empty file: no header row", 1, false);
            }
            return CsvLayout.parse(new ArrayList<>(records.fields));
        } catch (CsvRecords.BadRecord e) {
            throw new CsvLayout.FormatError(e.getMessage(), e.line, false);
        } catch (IOException e) {
            throw new CsvLayout.FormatError("cannot read the header (" + describe(e) + ")", 1, false);
        }
    }

    /** True when the first {@code n} bytes are all ASCII (eight at a time: no sign bit set). */
    private static boolean ascii(final byte[] bytes, final int n) {
        long any = 0;
        int i = 0;
        for (final int whole = n & ~7; i < whole; i += 8) {
            any |= (long) LONGS.get(bytes, i);
        }
        for (; i < n; i++) {
            any |= bytes[i];
        }
        return (any & 0x8080808080808080L) == 0;
    }

    private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;
    private static final long FEEDS = 0x0A0A0A0A0A0A0A0AL;

    /** The line feeds in the first {@code n} bytes, eight at a time (a '\n' is a zero byte after the xor). */
    static long lineFeeds(final byte[] bytes, final int n) {
        long count = 0;
        int i = 0;
        for (final int whole = n & ~7; i < whole; i += 8) {
            final long x = (long) LONGS.get(bytes, i) ^ FEEDS;
            count += Long.bitCount(~(((x & LOW7) + LOW7) | x | LOW7));
        }
        for (; i < n; i++) {
            if (bytes[i] == '\n') {
                count++;
            }
        }
        return count;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(
            long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The line of the text's byte at {@code offset} (1 + the line feeds before it), read again. */
    private static long lineAt(final Feed feed, final long offset) {
        long line = 1;
        long left = offset;
        final byte[] chunk = new byte[1 << 16];
        try (InputStream in = stream(feed.path)) {
            while (left > 0) {
                final int n = in.read(chunk, 0, (int) Math.min(chunk.length, left));
                if (n < 0) {
                    break;
                }
                line += lineFeeds(chunk, n);
                left -= n;
            }
        } catch (IOException e) {
            // the bytes read so far say as much as can be said
        }
        return line;
    }

    static void unchanged(final Feed feed) throws FeedChanged {
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

    /** Applies a vertex file's prepared steps in order (a method of its own: see applyEdges). */
    private void applyVertices(final Feed feed, final Batches batches) throws Stop, FeedChanged {
        long count = 0;
        for (List<Prepared> batch = batches.take(); batch != null; batch = batches.take()) {
            for (final Prepared step : batch) {
                if (step.kind == Prepared.Kind.VERTEX) {
                    if ((++count & 1023) == 0 && job.cancelled) {
                        throw new Stop();
                    }
                    count(feed, 1, 0);
                    vertex(feed, step);
                } else {
                    count = other(feed, step, count);
                }
            }
        }
    }

    /**
     * Applies an edge file's prepared steps in order. Vertex and edge records go through separate
     * methods: one method for both, compiled while the vertex files load, deoptimized on every edge
     * record after (the JIT gave up recompiling it), which ran the whole edge phase interpreted.
     */
    private void applyEdges(final Feed feed, final Batches batches) throws Stop, FeedChanged {
        long count = 0;
        for (List<Prepared> batch = batches.take(); batch != null; batch = batches.take()) {
            for (final Prepared step : batch) {
                if (step.kind == Prepared.Kind.EDGE) {
                    if ((++count & 1023) == 0 && job.cancelled) {
                        throw new Stop();
                    }
                    count(feed, 1, 0);
                    edge(feed, step);
                } else {
                    count = other(feed, step, count);
                }
            }
        }
    }

    /** A step that is no record to apply: an error to count and log, or the file's change. */
    private long other(final Feed feed, final Prepared step, final long count) throws Stop, FeedChanged {
        switch (step.kind) {
            case BAD_RECORD:
                count(feed, 1, 0);
                error(feed, step.code, step.message, step.line, step.errorKind);
                return count;
            case REFUSED:
                if ((count + 1 & 1023) == 0 && job.cancelled) {
                    throw new Stop();
                }
                count(feed, 1, 0);
                error(feed, step.code, step.message, step.line, step.errorKind);
                return count + 1;
            case FILE_ERROR:
                error(feed, step.code, step.message, step.line, step.errorKind);
                return count;
            case FEED_CHANGED:
                throw new FeedChanged(step.message);
            default:
                throw new IllegalStateException("a " + step.kind + " record in a file of the other kind");
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

    /** A value as an error message shows it: strings quoted, so {@code '1'} and {@code 1} differ. */
    private static String show(final Object value) {
        return value instanceof String ? "'" + clip((String) value) + "'" : String.valueOf(value);
    }

    static String clip(final String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    private static Object stored(final Iterator<? extends Property<Object>> found) {
        return found.hasNext() ? found.next().value() : null;
    }

    private void vertex(final Feed feed, final Prepared record) throws Stop {
        final String id = record.id;
        final String label = record.label;
        final CsvLayout.Column[] columns = record.columns;
        final Object[] values = record.values;
        final Vertex existing = findVertex(id);
        if (existing == null) {
            final Vertex vertex = graph.addVertex(T.id, id, T.label, label);
            for (int i = 0; i < columns.length; i++) {
                addNew(vertex, columns[i].name, values[i]);
            }
            compact(vertex);
            return;
        }
        final Vertex vertex = existing;
        if (!vertex.label().equals(label)) {
            error(feed, "LABEL_CONFLICT", "vertex '" + id + "' exists with label '" + vertex.label() + "', not '"
                    + label + "' (the local graph cannot relabel a vertex)", record.line, 'i');
            return;
        }
        // Check every single value first: a refused record changes nothing.
        boolean changes = false;
        final boolean[] absent = new boolean[columns.length]; // set values the vertex lacks
        for (int i = 0; i < columns.length; i++) {
            final String name = columns[i].name;
            final Object value = values[i];
            if (columns[i].single) {
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
                                + " (updateSingleCardinalityProperties is off)", record.line, 'i');
                        return;
                    }
                    changes = true;
                }
            } else if (!hasValue(vertex, name, value)) {
                absent[i] = true;
                changes = true;
            }
        }
        if (!changes) {
            count(feed, 0, 1);
            return;
        }
        // A set value found absent above is added as a list value: the same result without the
        // second scan of the vertex's values that `set` makes (a catalog shard holds hundreds).
        for (int i = 0; i < columns.length; i++) {
            if (columns[i].single) {
                addProperty(vertex, columns[i], values[i]);
            } else if (absent[i]) {
                addNew(vertex, columns[i].name, values[i]);
            }
        }
    }

    /**
     * Adds one value as the column's cardinality says. The id of the new vertex property is the
     * one TinkerGraph would generate (see {@link #propertyIds}), taken without its id stream.
     */
    private void addProperty(final Vertex vertex, final CsvLayout.Column column, final Object value) {
        final VertexProperty.Cardinality cardinality = column.single ? VertexProperty.Cardinality.single
                : VertexProperty.Cardinality.set;
        if (propertyIds != null) {
            vertex.property(cardinality, column.name, value, T.id, propertyIds.incrementAndGet());
        } else {
            vertex.property(cardinality, column.name, value);
        }
    }

    /**
     * Adds a value to a vertex created by this record, or a set value its vertex was found to lack.
     * The record names each property once and a set cell's values are distinct once parsed, so
     * {@code list} adds exactly what {@code single} or {@code set} would, without their scans of
     * the vertex's properties (a stream per value: the removal of an old single value, the look
     * for an equal set value).
     */
    private void addNew(final Vertex vertex, final String name, final Object value) {
        if (propertyIds != null) {
            vertex.property(VertexProperty.Cardinality.list, name, value, T.id, propertyIds.incrementAndGet());
        } else {
            vertex.property(VertexProperty.Cardinality.list, name, value);
        }
    }

    /**
     * Trims the value lists of a vertex TinkerGraph just built to their length: it makes each with
     * room for ten values, and nearly every property holds one, so a list shrinks from 56 bytes to
     * 24 and the graph's heap by about a sixth. Later values grow a list as before.
     */
    private void compact(final Vertex vertex) {
        if (vertexProperties == null || !(vertex instanceof TinkerVertex)) {
            return;
        }
        final Map<?, ?> map = (Map<?, ?>) vertexProperties.get((TinkerVertex) vertex);
        if (map != null) {
            // forEach, not values(): a ConcurrentHashMap keeps the view values() makes, 16 bytes more.
            ((Map<?, ?>) map).forEach((key, list) -> {
                if (list instanceof ArrayList) {
                    ((ArrayList<?>) list).trimToSize();
                }
            });
        }
    }

    /** A Map field of TinkerVertex (its property lists, its edge sets), readable here; null where not. */
    private static VarHandle vertexField(final String name) {
        try {
            return MethodHandles.privateLookupIn(TinkerVertex.class, MethodHandles.lookup())
                    .findVarHandle(TinkerVertex.class, name, Map.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
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

    private void edge(final Feed feed, final Prepared record) throws Stop {
        final String id = record.id;
        final String from = record.from;
        final String to = record.to;
        final String label = record.label;
        final CsvLayout.Column[] columns = record.columns;
        final Object[] values = record.values;
        final Edge edge = findEdge(id);
        if (edge != null) {
            final String out = String.valueOf(edge.outVertex().id());
            final String in = String.valueOf(edge.inVertex().id());
            if (!edge.label().equals(label) || !out.equals(from) || !in.equals(to)) {
                error(feed, "EDGE_ID_CONFLICT", "edge '" + id + "' exists as '" + out + "'-" + edge.label() + "->'"
                        + in + "', not '" + from + "'-" + label + "->'" + to + "'", record.line, 'i');
                return;
            }
            boolean changes = false;
            for (int i = 0; i < columns.length; i++) {
                final Object current = stored(edge.properties(columns[i].name));
                if (current == null) {
                    changes = true;
                } else if (!Objects.equals(current, values[i])) {
                    if (!request.updateSingleCardinality) {
                        error(feed, "CARDINALITY_VIOLATION", "edge '" + id + "': property '" + columns[i].name
                                + "' holds " + show(current) + ", not " + show(values[i])
                                + " (updateSingleCardinalityProperties is off)", record.line, 'i');
                        return;
                    }
                    changes = true;
                }
            }
            if (!changes) {
                count(feed, 0, 1);
                return;
            }
            for (int i = 0; i < columns.length; i++) {
                edge.property(columns[i].name, values[i]);
            }
            return;
        }
        final Vertex out = record.fromVertex != null ? record.fromVertex : findVertex(from);
        final Vertex in = record.toVertex != null ? record.toVertex : findVertex(to);
        if (out == null || in == null) {
            error(feed, "FROM_OR_TO_VERTEX_ARE_MISSING", "edge '" + id + "': "
                    + (out == null ? "from vertex '" + from + "'" : "to vertex '" + to + "'")
                    + " is not in the graph", record.line, 'i');
            return;
        }
        final Object[] keyValues = new Object[2 + 2 * columns.length];
        keyValues[0] = T.id;
        keyValues[1] = id;
        for (int i = 0; i < columns.length; i++) {
            keyValues[2 + 2 * i] = columns[i].name;
            keyValues[3 + 2 * i] = values[i];
        }
        roomFor(out, true, label);
        roomFor(in, false, label);
        out.addEdge(label, in, keyValues);
    }

    /**
     * Gives a vertex a small edge set for {@code label} before TinkerGraph adds an edge to it.
     * TinkerGraph makes each per-vertex map and per-label set with room for sixteen; most vertices
     * of a lineage graph have one or two edges of a label, so a set sized for two (growing as
     * before) keeps about 56 bytes less per set and per map, a tenth of the graph's heap. An
     * empty set until the edge is in reads as no edge, as the absent set did. {@code out}: the
     * vertex's outgoing edges, else its incoming ones.
     */
    @SuppressWarnings("unchecked")
    private static void roomFor(final Vertex vertex, final boolean out, final String label) {
        if (outEdges == null || inEdges == null || !(vertex instanceof TinkerVertex)) {
            return;
        }
        final TinkerVertex tinker = (TinkerVertex) vertex;
        // Each handle named at its own call site: a handle passed in as a value is no constant
        // to the JIT, and every call through it took VarHandle's slow, generic path.
        Map<String, Set<Edge>> byLabel = out ? (Map<String, Set<Edge>>) outEdges.get(tinker)
                : (Map<String, Set<Edge>>) inEdges.get(tinker);
        if (byLabel == null) {
            byLabel = new HashMap<>(2);
            if (out) {
                outEdges.set(tinker, (Map) byLabel);
            } else {
                inEdges.set(tinker, (Map) byLabel);
            }
        }
        if (!byLabel.containsKey(label)) {
            byLabel.put(label, new HashSet<>(2));
        }
    }
}
