package lineage.gremlinserver;

import java.util.Collections;
import java.util.List;

import org.apache.tinkerpop.gremlin.jsr223.AbstractGremlinScriptEngineFactory;
import org.apache.tinkerpop.gremlin.jsr223.Customizer;
import org.apache.tinkerpop.gremlin.jsr223.GremlinScriptEngine;

/**
 * Answers to the name {@code gremlin-groovy} with the grammar engine, refusing bindings.
 *
 * Clients that send a script without a language (gremlinpython's Client.submit, the HTTP
 * endpoint) get {@code gremlin-groovy}, which Gremlin Server finds on its classpath and would
 * run as arbitrary Groovy. Neptune parses every script with the ANTLR grammar instead. This
 * factory is listed first on the classpath, so the script engine manager picks it for its name.
 */
public class GrammarOnlyScriptEngineFactory extends AbstractGremlinScriptEngineFactory {
    private static final String GRAMMAR_ENGINE = "gremlin-lang";

    public GrammarOnlyScriptEngineFactory() {
        this("gremlin-groovy");
    }

    /** The manager finds factories by language name, so both names are the claimed one. */
    protected GrammarOnlyScriptEngineFactory(final String claimedName) {
        super(claimedName, claimedName, Collections.singletonList("gremlin"),
                Collections.singletonList("plain"));
    }

    @Override
    public String getMethodCallSyntax(final String obj, final String m, final String... args) {
        return null;
    }

    @Override
    public String getOutputStatement(final String toDisplay) {
        return null;
    }

    @Override
    public GremlinScriptEngine getScriptEngine() {
        final List<Customizer> customizers = manager.getCustomizers(GRAMMAR_ENGINE);
        return new GrammarOnlyScriptEngine(customizers.toArray(new Customizer[0]));
    }

    /** The same engine under its own name, shadowing TinkerPop's gremlin-lang factory. */
    public static final class GremlinLang extends GrammarOnlyScriptEngineFactory {
        public GremlinLang() {
            super(GRAMMAR_ENGINE);
        }
    }
}
