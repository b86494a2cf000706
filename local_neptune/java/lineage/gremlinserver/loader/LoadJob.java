package lineage.gremlinserver.loader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One bulk load: its request, its status and counts (overall and per file, Neptune's "feeds"),
 * and its error log. One loader thread writes; HTTP threads read snapshots under the lock.
 */
final class LoadJob {
    static final int MAX_ERROR_LOGS = 10_000;  // Neptune keeps the last 10,000 per load

    /** Counts of one feed or of the whole load, in Neptune's names. */
    static final class Counts {
        String fullUri;
        String status;
        long startTime;
        long totalTimeSpentMs;
        long totalRecords;
        long totalDuplicates;
        long parsingErrors;
        long datatypeMismatchErrors;
        long insertErrors;

        Counts(final String fullUri, final String status) {
            this.fullUri = fullUri;
            this.status = status;
        }

        long errors() {
            return parsingErrors + datatypeMismatchErrors + insertErrors;
        }

        Map<String, Object> json() {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("fullUri", fullUri);
            out.put("runNumber", 1);
            out.put("retryNumber", 0);
            out.put("status", status);
            out.put("totalTimeSpent", totalTimeSpentMs / 1000);
            out.put("startTime", startTime);
            out.put("totalRecords", totalRecords);
            out.put("totalDuplicates", totalDuplicates);
            out.put("parsingErrors", parsingErrors);
            out.put("datatypeMismatchErrors", datatypeMismatchErrors);
            out.put("insertErrors", insertErrors);
            return out;
        }
    }

    final String id;
    final LoadRequest request;
    final Counts overall;
    final List<Counts> feeds = new ArrayList<>();
    private final List<Map<String, Object>> errorLogs = new ArrayList<>();
    private long errorsDropped;
    volatile boolean cancelled;

    LoadJob(final String id, final LoadRequest request, final String status) {
        this.id = id;
        this.request = request;
        this.overall = new Counts(request.source, status);
    }

    synchronized String status() {
        return overall.status;
    }

    synchronized void setStatus(final String status) {
        overall.status = status;
    }

    synchronized boolean isFinal() {
        return BulkLoader.isFinal(overall.status);
    }

    synchronized void error(final String code, final String message, final String fileName, final long recordNum) {
        if (errorLogs.size() >= MAX_ERROR_LOGS) {
            errorLogs.remove(0);
            errorsDropped++;
        }
        final Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("errorCode", code);
        entry.put("errorMessage", message);
        if (fileName != null) {
            entry.put("fileName", fileName);
        }
        entry.put("recordNum", recordNum);
        errorLogs.add(entry);
    }

    /** The Get-Status payload, with {@code failedFeeds}/{@code feedCount} and a page of errors on request. */
    synchronized Map<String, Object> payload(final boolean details, final boolean errors, final int page,
                                             final int perPage) {
        final Map<String, Object> payload = new LinkedHashMap<>();
        if (details) {
            final Map<String, Integer> byStatus = new LinkedHashMap<>();
            final List<Map<String, Object>> failed = new ArrayList<>();
            for (final Counts feed : feeds) {
                byStatus.merge(feed.status, 1, Integer::sum);
                if (!BulkLoader.COMPLETED.equals(feed.status) && BulkLoader.isFinal(feed.status)) {
                    failed.add(feed.json());
                }
            }
            final List<Map<String, Object>> feedCount = new ArrayList<>();
            byStatus.forEach((status, count) -> feedCount.add(Map.of(status, count)));
            payload.put("feedCount", feedCount);
            payload.put("failedFeeds", failed);
        }
        payload.put("overallStatus", overall.json());
        if (errors) {
            final int start = (page - 1) * perPage;
            final List<Map<String, Object>> shown = start < errorLogs.size()
                    ? new ArrayList<>(errorLogs.subList(start, Math.min(errorLogs.size(), start + perPage)))
                    : new ArrayList<>();
            final Map<String, Object> block = new LinkedHashMap<>();
            block.put("startIndex", shown.isEmpty() ? 0 : errorsDropped + start + 1);
            block.put("endIndex", shown.isEmpty() ? 0 : errorsDropped + start + shown.size());
            block.put("loadId", id);
            block.put("errorLogs", shown);
            payload.put("errors", block);
        }
        return payload;
    }
}
