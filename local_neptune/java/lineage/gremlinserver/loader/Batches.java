package lineage.gremlinserver.loader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

import org.apache.tinkerpop.gremlin.structure.Vertex;

/**
 * The prepared steps of one file, batch by batch, in the file's order, for the writer.
 *
 * With parser threads, each file is parsed by one of them into a small bounded queue; the writer
 * drains the files' queues in the load's order (vertex files, then edge files, each by name).
 * So records apply in exactly the order a single thread would apply them: the same graph, the
 * same duplicates and the same error log whatever the parallelism, and memory bounded by the few
 * files parsed ahead, not by the size of the load.
 */
abstract class Batches {
    /** The next batch, or null once the file has ended. */
    abstract List<Prepared> take();

    /** A file parsed on the writer itself, when it is the load's only thread. */
    private static final class Inline extends Batches {
        private final FileParser parser;

        Inline(final FileParser parser) {
            this.parser = parser;
        }

        @Override
        List<Prepared> take() {
            return parser.next();
        }
    }

    /** A file parsed on a parser thread into a bounded queue. */
    private static final class Queued extends Batches implements Runnable {
        private static final int CAPACITY = 4;
        private static final List<Prepared> END = new ArrayList<>();

        private final FileParser parser;
        private final BlockingQueue<List<Prepared>> queue = new ArrayBlockingQueue<>(CAPACITY);
        private volatile boolean stopped;
        private volatile Throwable failure;
        private boolean ended;

        Queued(final FileParser parser) {
            this.parser = parser;
        }

        @Override
        public void run() {
            try (FileParser reading = parser) {
                for (List<Prepared> batch = reading.next(); batch != null; batch = reading.next()) {
                    if (!put(batch)) {
                        return;
                    }
                }
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                put(END);
            }
        }

        /** Hands a batch to the writer; false when the load stopped waiting for it. */
        private boolean put(final List<Prepared> batch) {
            try {
                while (!stopped) {
                    if (queue.offer(batch, 100, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        @Override
        List<Prepared> take() {
            if (ended) {
                return null;
            }
            final List<Prepared> batch;
            try {
                batch = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a parser thread", e);
            }
            if (batch == END) {
                ended = true;
                if (failure != null) {
                    throw new IllegalStateException("parser thread failed: " + failure, failure);
                }
                return null;
            }
            return batch;
        }
    }

    /**
     * The files of a load, handed to the parser threads a few at a time ahead of the writer.
     *
     * Tasks start in the order they are submitted, so the file the writer waits for is always one
     * a parser is working on or has finished: a parser blocked on a full queue of a later file
     * never holds it up.
     */
    static final class Window implements AutoCloseable {
        private final LoadThreads threads;
        private final List<GraphLoad.Feed> order;
        private final Map<GraphLoad.Feed, CsvLayout> layouts;
        private final boolean allowEmptyStrings;
        private final List<Queued> started = new ArrayList<>();
        private final List<FileParser> inline = new ArrayList<>();
        private final SharedValues shared = new SharedValues();
        private final ConcurrentMap<Object, Vertex> vertices;

        Window(final LoadThreads threads, final List<GraphLoad.Feed> order,
               final Map<GraphLoad.Feed, CsvLayout> layouts, final boolean allowEmptyStrings,
               final ConcurrentMap<Object, Vertex> vertices) {
            this.threads = threads;
            this.order = order;
            this.layouts = layouts;
            this.allowEmptyStrings = allowEmptyStrings;
            this.vertices = vertices;
        }

        private FileParser parser(final GraphLoad.Feed feed) {
            return new FileParser(feed, layouts.get(feed), allowEmptyStrings, shared, vertices);
        }

        /** The batches of {@code feed}, the next file of {@code order} the writer applies. */
        Batches open(final GraphLoad.Feed feed) {
            if (!threads.pooled()) {
                final FileParser parser = parser(feed);
                inline.add(parser);
                return new Inline(parser);
            }
            final int index = order.indexOf(feed);
            final int ahead = Math.min(order.size(), index + threads.parsers + 1);
            while (started.size() < ahead) {
                final Queued next = new Queued(parser(order.get(started.size())));
                started.add(next);
                threads.execute(next);
            }
            return started.get(index);
        }

        /** Tells every parser still running that the writer takes nothing more. */
        @Override
        public void close() {
            for (final Queued queued : started) {
                queued.stopped = true;
            }
            for (final FileParser parser : inline) {
                parser.close();
            }
        }
    }
}
