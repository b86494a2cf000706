package lineage.gremlinserver.loader;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parser threads of one load, beside the thread that writes the graph.
 *
 * A load of {@code n} threads (its {@code parallelism}) has one writer and {@code n - 1} parsers;
 * with one thread there is no pool and every task runs on the writer when its result is needed.
 */
final class LoadThreads implements AutoCloseable {
    private static final AtomicInteger NUMBER = new AtomicInteger();

    private final ExecutorService pool;
    final int parsers;

    LoadThreads(final int threads) {
        this.parsers = Math.max(0, threads - 1);
        final int load = NUMBER.incrementAndGet();
        final AtomicInteger thread = new AtomicInteger();
        this.pool = parsers == 0 ? null : Executors.newFixedThreadPool(parsers, runnable -> {
            final Thread parser = new Thread(runnable, "lineage-bulk-parser-" + load + "-" + thread.incrementAndGet());
            parser.setDaemon(true);
            return parser;
        });
    }

    /** True when tasks run on parser threads, false when they run on the writer. */
    boolean pooled() {
        return pool != null;
    }

    /** The task started on a parser thread (in submission order), or kept to run on the writer. */
    <T> Future<T> submit(final Callable<T> task) {
        return pool != null ? pool.submit(task) : new FutureTask<>(task);
    }

    void execute(final Runnable task) {
        pool.execute(task);
    }

    /** The task's result, run here first when it is one kept for the writer; its failure rethrown. */
    <T> T result(final Future<T> future) {
        if (future instanceof FutureTask && pool == null) {
            ((FutureTask<T>) future).run();
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a parser thread", e);
        } catch (ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** Stops the parsers (they close their files) and waits for them. */
    @Override
    public void close() {
        if (pool == null) {
            return;
        }
        pool.shutdownNow();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
