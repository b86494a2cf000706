package lineage.gremlinserver.loader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.tinkerpop.gremlin.structure.Graph;
import org.apache.tinkerpop.gremlin.structure.Vertex;
import org.apache.tinkerpop.gremlin.tinkergraph.structure.AbstractTinkerGraph;

/**
 * The loads of one graph: started, queued, run one at a time in a daemon thread, listed,
 * cancelled; and the fast-reset handshake that empties the graph.
 */
public final class BulkLoader {
    static final String NOT_STARTED = "LOAD_NOT_STARTED";
    static final String IN_QUEUE = "LOAD_IN_QUEUE";
    static final String IN_PROGRESS = "LOAD_IN_PROGRESS";
    static final String COMPLETED = "LOAD_COMPLETED";
    static final String FAILED = "LOAD_FAILED";
    static final String CANCELLED = "LOAD_CANCELLED_BY_USER";
    static final String DEPENDENCY_FAILED = "LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED";
    private static final Set<String> IN_FLIGHT = Set.of(NOT_STARTED, IN_QUEUE, IN_PROGRESS);
    private static final int MAX_QUEUED = 64;       // Neptune queues at most 64 loads
    private static final int MAX_TRACKED = 1024;    // and keeps the last 1,024
    private static final long TOKEN_TTL_MS = 60 * 60 * 1000L;

    private final Graph graph;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        final Thread thread = new Thread(runnable, "lineage-bulk-loader");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<String, LoadJob> jobs = new LinkedHashMap<>();
    /** Files completed by earlier loads (uri|size|mtime), for RESUME and AUTO. */
    private final Map<String, Boolean> doneFiles = new ConcurrentHashMap<>();
    private final long startTime = System.currentTimeMillis();
    private String token;
    private long tokenExpires;
    private volatile boolean resetting;

    public BulkLoader(final Graph graph) {
        this.graph = graph;
    }

    static boolean isFinal(final String status) {
        return !IN_FLIGHT.contains(status);
    }

    long startTime() {
        return startTime;
    }

    boolean resetting() {
        return resetting;
    }

    synchronized String start(final LoadRequest request) throws ApiError {
        int queued = 0;
        for (final LoadJob job : jobs.values()) {
            if (!job.isFinal()) {
                queued++;
            }
        }
        if (queued > 0 && !request.queueRequest) {
            throw ApiError.badRequest("Failed to start new load for the source " + request.source
                    + ". Max concurrent load limit breached. Limit is 1 (queue it with queueRequest TRUE)");
        }
        if (queued >= MAX_QUEUED) {
            throw ApiError.badRequest("Failed to start new load: " + MAX_QUEUED + " loads are already queued");
        }
        for (final String dependency : request.dependencies) {
            if (!jobs.containsKey(dependency)) {
                throw ApiError.badRequest("dependency '" + dependency + "' is not a known load id");
            }
        }
        final String id = UUID.randomUUID().toString();
        final LoadJob job = new LoadJob(id, request, queued > 0 ? IN_QUEUE : NOT_STARTED);
        jobs.put(id, job);
        while (jobs.size() > MAX_TRACKED) {
            final String oldest = jobs.keySet().iterator().next();
            if (!jobs.get(oldest).isFinal()) {
                break;
            }
            jobs.remove(oldest);
        }
        worker.execute(() -> run(job));
        return id;
    }

    private void run(final LoadJob job) {
        if (job.cancelled) {
            job.setStatus(CANCELLED);
            return;
        }
        for (final String dependency : job.request.dependencies) {
            final LoadJob before = find(dependency);
            if (before != null && !COMPLETED.equals(before.status())) {
                job.error(DEPENDENCY_FAILED, "dependency " + dependency + " ended " + before.status(), null, 0);
                job.setStatus(DEPENDENCY_FAILED);
                return;
            }
        }
        new GraphLoad(job, graph, doneFiles).run();
    }

    synchronized LoadJob find(final String id) {
        return jobs.get(id);
    }

    synchronized List<String> list(final int limit, final boolean includeQueued) {
        final List<String> ids = new ArrayList<>();
        final List<String> all = new ArrayList<>(jobs.keySet());
        for (int i = all.size() - 1; i >= 0 && ids.size() < limit; i--) {
            final LoadJob job = jobs.get(all.get(i));
            if (includeQueued || !IN_QUEUE.equals(job.status())) {
                ids.add(all.get(i));
            }
        }
        return ids;
    }

    /** Cancels a queued or running load; a finished one cannot be cancelled. */
    synchronized void cancel(final String id) throws ApiError {
        final LoadJob job = jobs.get(id);
        if (job == null) {
            throw notFound(id);
        }
        if (job.isFinal()) {
            throw ApiError.badRequest("load " + id + " has already ended (" + job.status() + ")");
        }
        job.cancelled = true;
        if (!IN_PROGRESS.equals(job.status())) {
            job.setStatus(CANCELLED);
        }
    }

    static ApiError notFound(final String id) {
        return new ApiError(404, "BulkLoadIdNotFoundException", "load id " + id + " is not known");
    }

    synchronized String initiateReset() {
        token = UUID.randomUUID().toString();
        tokenExpires = System.currentTimeMillis() + TOKEN_TTL_MS;
        return token;
    }

    /** Cancels every load, then empties the graph on the load thread (after the running load stops). */
    synchronized void performReset(final String given) throws ApiError {
        if (token == null || given == null || !token.equals(given) || System.currentTimeMillis() > tokenExpires) {
            throw new ApiError(400, "InvalidParameterException", "the token is not the one initiateDatabaseReset "
                    + "returned in the last 60 minutes");
        }
        token = null;
        for (final LoadJob job : jobs.values()) {
            if (!job.isFinal()) {
                job.cancelled = true;
                if (!IN_PROGRESS.equals(job.status())) {
                    job.setStatus(CANCELLED);
                }
            }
        }
        resetting = true;
        worker.execute(() -> {
            try {
                if (graph instanceof AbstractTinkerGraph) {
                    ((AbstractTinkerGraph) graph).clear();
                } else {
                    final List<Vertex> all = new ArrayList<>();
                    graph.vertices().forEachRemaining(all::add);
                    all.forEach(Vertex::remove);
                }
                doneFiles.clear();
            } finally {
                resetting = false;
            }
        });
    }
}
