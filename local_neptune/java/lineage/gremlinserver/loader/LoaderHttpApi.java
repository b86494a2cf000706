package lineage.gremlinserver.loader;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import org.apache.tinkerpop.shaded.jackson.core.JsonProcessingException;
import org.apache.tinkerpop.shaded.jackson.databind.ObjectMapper;

/**
 * Neptune's loader and fast-reset HTTP API over a {@link BulkLoader}: {@code POST /loader},
 * {@code GET /loader}, {@code GET /loader/{loadId}}, {@code DELETE /loader/{loadId}},
 * {@code POST /system} (initiateDatabaseReset, performDatabaseReset) and {@code GET /status}.
 * Answers have Neptune's shapes; a refusal is {@code {"code", "requestId", "detailedMessage"}}
 * with the status Neptune uses, and its code also in {@code x-amzn-ErrorType} for AWS SDKs.
 */
public final class LoaderHttpApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VERSION = "local-tinkerpop-3.7";

    private final BulkLoader loader;

    public LoaderHttpApi(final BulkLoader loader) {
        this.loader = loader;
    }

    /** True for the paths this API serves (everything else stays refused by the guard). */
    public static boolean serves(final String path) {
        return path.equals("/loader") || path.startsWith("/loader/") || path.equals("/system")
                || path.equals("/status");
    }

    public FullHttpResponse answer(final FullHttpRequest request) {
        final QueryStringDecoder query = new QueryStringDecoder(request.uri());
        try {
            return ok(route(request, query));
        } catch (ApiError e) {
            return refusal(e);
        } catch (RuntimeException e) {
            return refusal(new ApiError(500, "InternalFailureException", GraphLoad.describe(e)));
        }
    }

    private Map<String, Object> route(final FullHttpRequest request, final QueryStringDecoder query) throws ApiError {
        final String path = query.path();
        final HttpMethod method = request.method();
        if (path.equals("/status")) {
            require(method, HttpMethod.GET);
            return engineStatus();
        }
        if (path.equals("/system")) {
            require(method, HttpMethod.POST);
            return system(parameters(request, query));
        }
        if (path.equals("/loader")) {
            if (HttpMethod.POST.equals(method)) {
                final String id = loader.start(LoadRequest.from(body(request)));
                return status200(Map.of("loadId", id));
            }
            if (HttpMethod.GET.equals(method)) {
                final String loadId = first(query, "loadId");
                if (loadId != null) {
                    return status(loadId, query);
                }
                return list(query);
            }
            if (HttpMethod.DELETE.equals(method)) {
                final String loadId = first(query, "loadId");
                if (loadId == null) {
                    throw ApiError.badRequest("DELETE /loader needs a loadId");
                }
                return cancel(loadId);
            }
            throw methodNotAllowed(method);
        }
        final String loadId = path.substring("/loader/".length());
        if (loadId.isEmpty() || loadId.contains("/")) {
            throw new ApiError(404, "BadRequestException", "no such resource: " + path);
        }
        if (HttpMethod.GET.equals(method)) {
            return status(loadId, query);
        }
        if (HttpMethod.DELETE.equals(method)) {
            return cancel(loadId);
        }
        throw methodNotAllowed(method);
    }

    private static void require(final HttpMethod method, final HttpMethod expected) throws ApiError {
        if (!expected.equals(method)) {
            throw methodNotAllowed(method);
        }
    }

    private static ApiError methodNotAllowed(final HttpMethod method) {
        return new ApiError(405, "MethodNotAllowedException", "method " + method + " is not allowed here");
    }

    private Map<String, Object> status(final String loadId, final QueryStringDecoder query) throws ApiError {
        final LoadJob job = loader.find(loadId);
        if (job == null) {
            throw BulkLoader.notFound(loadId);
        }
        final boolean details = bool(query, "details", false);
        final boolean errors = bool(query, "errors", false);
        final int page = integer(query, "page", 1, 1, Integer.MAX_VALUE);
        final int perPage = integer(query, "errorsPerPage", 10, 1, LoadJob.MAX_ERROR_LOGS);
        return status200(job.payload(details, errors, page, perPage));
    }

    private Map<String, Object> list(final QueryStringDecoder query) throws ApiError {
        final int limit = integer(query, "limit", 100, 1, 100);
        final boolean includeQueued = bool(query, "includeQueuedLoads", true);
        return status200(Map.of("loadIds", loader.list(limit, includeQueued)));
    }

    private Map<String, Object> cancel(final String loadId) throws ApiError {
        loader.cancel(loadId);
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "200 OK");
        return out;
    }

    private Map<String, Object> system(final Map<String, Object> parameters) throws ApiError {
        final Object action = parameters.get("action");
        if ("initiateDatabaseReset".equals(action)) {
            return status200(Map.of("token", loader.initiateReset()));
        }
        if ("performDatabaseReset".equals(action)) {
            final Object token = parameters.get("token");
            loader.performReset(token instanceof String ? (String) token : null);
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("status", "200 OK");
            return out;
        }
        throw new ApiError(400, "InvalidParameterException",
                "action must be initiateDatabaseReset or performDatabaseReset, not '" + action + "'");
    }

    private Map<String, Object> engineStatus() {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", loader.resetting() ? "recovery" : "healthy");
        out.put("startTime", java.time.Instant.ofEpochMilli(loader.startTime()).toString());
        out.put("dbEngineVersion", VERSION);
        out.put("role", "writer");
        out.put("gremlin", Map.of("version", "tinkerpop-3.7.5"));
        return out;
    }

    private static Map<String, Object> status200(final Map<String, Object> payload) {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "200 OK");
        out.put("payload", payload);
        return out;
    }

    // --- request decoding -----------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> body(final FullHttpRequest request) throws ApiError {
        final String text = request.content().toString(StandardCharsets.UTF_8);
        if (text.isBlank()) {
            throw ApiError.badRequest("the load request has no body: send its parameters as a JSON object");
        }
        final String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        if (type.startsWith("application/x-www-form-urlencoded")) {
            return form(text);
        }
        try {
            final Object parsed = JSON.readValue(text, Object.class);
            if (!(parsed instanceof Map)) {
                throw ApiError.badRequest("the request body must be a JSON object");
            }
            return (Map<String, Object>) parsed;
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the request body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static Map<String, Object> form(final String text) {
        final Map<String, Object> out = new LinkedHashMap<>();
        new QueryStringDecoder(text, false).parameters().forEach((key, values) -> out.put(key, values.get(0)));
        return out;
    }

    private static Map<String, Object> parameters(final FullHttpRequest request, final QueryStringDecoder query)
            throws ApiError {
        final Map<String, Object> out = new LinkedHashMap<>();
        query.parameters().forEach((key, values) -> out.put(key, values.get(0)));
        if (request.content().readableBytes() > 0) {
            out.putAll(body(request));
        }
        return out;
    }

    private static String first(final QueryStringDecoder query, final String name) {
        final List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static boolean bool(final QueryStringDecoder query, final String name, final boolean fallback)
            throws ApiError {
        final String value = first(query, name);
        if (value == null) {
            return fallback;
        }
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw ApiError.badRequest(name + " must be true or false, not '" + value + "'");
    }

    private static int integer(final QueryStringDecoder query, final String name, final int fallback, final int low,
                               final int high) throws ApiError {
        final String value = first(query, name);
        if (value == null) {
            return fallback;
        }
        try {
            final int number = Integer.parseInt(value);
            if (number >= low && number <= high) {
                return number;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiError.badRequest(name + " must be an integer from " + low + " to " + high + ", not '" + value
                + "'");
    }

    // --- answers --------------------------------------------------------------------------

    private static FullHttpResponse ok(final Map<String, Object> body) {
        return json(HttpResponseStatus.OK, body);
    }

    private static FullHttpResponse refusal(final ApiError error) {
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", error.code);
        body.put("requestId", UUID.randomUUID().toString());
        body.put("detailedMessage", error.getMessage());
        final FullHttpResponse response = json(HttpResponseStatus.valueOf(error.status), body);
        response.headers().set("x-amzn-ErrorType", error.code);
        return response;
    }

    private static FullHttpResponse json(final HttpResponseStatus status, final Map<String, Object> body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            bytes = ("{\"code\":\"InternalFailureException\",\"detailedMessage\":\"cannot encode the answer\"}")
                    .getBytes(StandardCharsets.UTF_8);
        }
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return response;
    }
}
