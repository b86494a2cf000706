package lineage.gremlinserver.loader;

/** A refused request: HTTP status, Neptune's error code and a message naming what is wrong. */
final class ApiError extends Exception {
    final int status;
    final String code;

    ApiError(final int status, final String code, final String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    static ApiError badRequest(final String message) {
        return new ApiError(400, "BadRequestException", message);
    }
}
