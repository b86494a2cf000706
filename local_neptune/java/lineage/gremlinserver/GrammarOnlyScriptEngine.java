package lineage.gremlinserver;

import java.util.Set;
import java.util.TreeSet;

import javax.script.ScriptContext;
import javax.script.ScriptException;

import org.apache.tinkerpop.gremlin.jsr223.Customizer;
import org.apache.tinkerpop.gremlin.jsr223.GremlinLangScriptEngine;

/**
 * The gremlin-lang grammar engine, refusing request bindings as Neptune does.
 *
 * TinkerPop's grammar engine resolves variables such as {@code g.V(x)} from the request's
 * bindings; Neptune supports neither variables nor the bindings attribute, so a script that
 * needs them is refused here instead of working only locally.
 */
public final class GrammarOnlyScriptEngine extends GremlinLangScriptEngine {
    /** Bindings the server itself provides: the graph and its traversal source. */
    private static final Set<String> SERVER_BINDINGS = Set.of("g", NeptuneLikeGraphManager.GRAPH_NAME);

    public GrammarOnlyScriptEngine(final Customizer... customizers) {
        super(customizers);
    }

    @Override
    public Object eval(final String script, final ScriptContext context) throws ScriptException {
        final Set<String> requested = new TreeSet<>(context.getBindings(ScriptContext.ENGINE_SCOPE).keySet());
        requested.removeAll(SERVER_BINDINGS);
        if (!requested.isEmpty()) {
            throw new ScriptException(
                    "bindings are not supported (Neptune parses scripts without variables): " + requested);
        }
        return super.eval(script, context);
    }
}
