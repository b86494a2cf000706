package lineage.spline.plugin;

/** Where this project's plugins sit in the agent's plugin order (ascending {@code @Priority}). */
final class PluginOrder {
    /** The agent's "user" precedence: before its built-in handlers, which sit at 5000. */
    static final int BEFORE_BUILT_IN = 1000;

    private PluginOrder() {}
}
