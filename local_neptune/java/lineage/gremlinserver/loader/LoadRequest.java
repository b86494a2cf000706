package lineage.gremlinserver.loader;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parameters of {@code POST /loader}, checked as Neptune checks them; an
 * {@link ApiError} (400) names the first one that is wrong.
 */
final class LoadRequest {
    private static final Set<String> KNOWN = Set.of("source", "format", "iamRoleArn", "s3BucketRegion", "region",
            "mode", "failOnError", "parallelism", "parserConfiguration", "updateSingleCardinalityProperties",
            "queueRequest", "dependencies", "userProvidedEdgeIds", "edgeOnlyLoad");
    private static final Set<String> MODES = Set.of("NEW", "RESUME", "AUTO");
    private static final Set<String> PARALLELISM = Set.of("LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE");

    final String source;
    final Path path;
    final String mode;
    final boolean failOnError;
    final String parallelism;
    final boolean updateSingleCardinality;
    final boolean queueRequest;
    final List<String> dependencies;
    final boolean allowEmptyStrings;

    private LoadRequest(final String source, final Path path, final String mode, final boolean failOnError,
                        final String parallelism, final boolean updateSingleCardinality, final boolean queueRequest,
                        final List<String> dependencies, final boolean allowEmptyStrings) {
        this.source = source;
        this.path = path;
        this.mode = mode;
        this.failOnError = failOnError;
        this.parallelism = parallelism;
        this.updateSingleCardinality = updateSingleCardinality;
        this.queueRequest = queueRequest;
        this.dependencies = dependencies;
        this.allowEmptyStrings = allowEmptyStrings;
    }

    /**
     * The load's threads on a machine of {@code vcpus} CPUs, as Neptune sizes them: LOW a
     * vCPU in 8, MEDIUM half of them, HIGH one per vCPU, OVERSUBSCRIBE two per vCPU; at least one.
     */
    int threads(final int vcpus) {
        switch (parallelism) {
            case "LOW":
                return Math.max(1, vcpus / 8);
            case "MEDIUM":
                return Math.max(1, vcpus / 2);
            case "OVERSUBSCRIBE":
                return Math.max(1, vcpus * 2);
            default:
                return Math.max(1, vcpus);
        }
    }

    static LoadRequest from(final Map<String, Object> body) throws ApiError {
        for (final String key : body.keySet()) {
            if (!KNOWN.contains(key)) {
                throw ApiError.badRequest("unknown load parameter '" + key + "'");
            }
        }
        final Object rawSource = body.get("source");
        if (!(rawSource instanceof String) || ((String) rawSource).isEmpty()) {
            throw ApiError.badRequest("the load needs a source (a file:// URI or an absolute path on the server)");
        }
        final String source = (String) rawSource;
        final String format = text(body, "format", null);
        if (format == null) {
            throw ApiError.badRequest("the load needs a format: this loader reads csv (Gremlin load data format)");
        }
        if (!format.equalsIgnoreCase("csv")) {
            throw ApiError.badRequest("format '" + format + "' is not supported here: this loader reads csv "
                    + "(Gremlin load data format) only");
        }
        if (Boolean.TRUE.equals(flag(body, "userProvidedEdgeIds", false)) || flag(body, "edgeOnlyLoad", false)) {
            throw ApiError.badRequest("userProvidedEdgeIds and edgeOnlyLoad are not supported by this loader");
        }
        final String mode = text(body, "mode", "NEW").toUpperCase(Locale.ROOT);
        if (!MODES.contains(mode)) {
            throw ApiError.badRequest("mode must be NEW, RESUME or AUTO, not '" + mode + "'");
        }
        final String parallelism = text(body, "parallelism", "HIGH").toUpperCase(Locale.ROOT);
        if (!PARALLELISM.contains(parallelism)) {
            throw ApiError.badRequest("parallelism must be LOW, MEDIUM, HIGH or OVERSUBSCRIBE, not '" + parallelism
                    + "'");
        }
        final List<String> dependencies = new ArrayList<>();
        final Object rawDependencies = body.get("dependencies");
        if (rawDependencies != null) {
            if (!(rawDependencies instanceof List)) {
                throw ApiError.badRequest("dependencies must be a list of load ids");
            }
            for (final Object item : (List<?>) rawDependencies) {
                if (!(item instanceof String)) {
                    throw ApiError.badRequest("dependencies must be a list of load ids");
                }
                dependencies.add((String) item);
            }
            if (dependencies.size() > 64) {
                throw ApiError.badRequest("at most 64 dependencies");
            }
        }
        boolean allowEmptyStrings = false;
        final Object parser = body.get("parserConfiguration");
        if (parser != null) {
            if (!(parser instanceof Map)) {
                throw ApiError.badRequest("parserConfiguration must be an object");
            }
            for (final Map.Entry<?, ?> entry : ((Map<?, ?>) parser).entrySet()) {
                if (!"allowEmptyStrings".equals(entry.getKey())) {
                    throw ApiError.badRequest("parserConfiguration '" + entry.getKey() + "' does not apply to csv "
                            + "(only allowEmptyStrings does)");
                }
                allowEmptyStrings = bool("parserConfiguration.allowEmptyStrings", entry.getValue());
            }
        }
        return new LoadRequest(source, path(source), mode, flag(body, "failOnError", true), parallelism,
                flag(body, "updateSingleCardinalityProperties", false), flag(body, "queueRequest", false),
                dependencies, allowEmptyStrings);
    }

    /** The local folder or file a source names: {@code file://} URI or absolute path, never s3:// here. */
    private static Path path(final String source) throws ApiError {
        if (source.startsWith("/")) {
            return Paths.get(source).normalize();
        }
        final URI uri;
        try {
            uri = new URI(source);
        } catch (URISyntaxException e) {
            throw ApiError.badRequest("source '" + source + "' is not a URI or an absolute path");
        }
        final String scheme = uri.getScheme();
        if (scheme == null) {
            throw ApiError.badRequest("source '" + source + "' is a relative path: give an absolute path or a "
                    + "file:// URI (the server resolves it, not the client)");
        }
        if (!scheme.equalsIgnoreCase("file")) {
            throw ApiError.badRequest("source '" + source + "': this local loader reads file:// URIs and absolute "
                    + "paths on its own machine (Amazon Neptune reads s3://)");
        }
        if (uri.getAuthority() != null && !uri.getAuthority().isEmpty() && !uri.getAuthority().equals("localhost")) {
            throw ApiError.badRequest("source '" + source + "' names host '" + uri.getAuthority()
                    + "': file:// URIs must be local");
        }
        if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw ApiError.badRequest("source '" + source + "' has no absolute path");
        }
        return Paths.get(uri.getPath()).normalize();
    }

    private static String text(final Map<String, Object> body, final String key, final String fallback)
            throws ApiError {
        final Object value = body.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof String)) {
            throw ApiError.badRequest(key + " must be a string");
        }
        return (String) value;
    }

    private static boolean flag(final Map<String, Object> body, final String key, final boolean fallback)
            throws ApiError {
        final Object value = body.get(key);
        return value == null ? fallback : bool(key, value);
    }

    private static boolean bool(final String key, final Object value) throws ApiError {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        if (value instanceof String) {
            final String text = ((String) value).toUpperCase(Locale.ROOT);
            if (text.equals("TRUE")) {
                return true;
            }
            if (text.equals("FALSE")) {
                return false;
            }
        }
        throw ApiError.badRequest(key + " must be TRUE or FALSE, not '" + value + "'");
    }
}
