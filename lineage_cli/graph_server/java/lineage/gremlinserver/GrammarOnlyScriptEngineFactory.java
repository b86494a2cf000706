package lineage.gremlinserver;

import java.util.Collections;
import java.util.List;

import org.apache.tinkerpop.gremlin.jsr223.AbstractGremlinScriptEngineFactory;
import org.apache.tinkerpop.gremlin.jsr223.Customizer;
import org.apache.tinkerpop.gremlin.jsr223.GremlinLangScriptEngine;
import org.apache.tinkerpop.gremlin.jsr223.GremlinScriptEngine;

/**
 * Answers to the name {@code gremlin-groovy} with the gremlin-lang grammar engine.
 *
 * Clients that send a script without a language (gremlinpython's Client.submit, the HTTP
 * endpoint) get {@code gremlin-groovy}, which Gremlin Server finds on its classpath and would
 * run as arbitrary Groovy. Neptune parses every script with the ANTLR grammar instead. This
 * factory is listed first on the classpath, so the script engine manager picks it for that name.
 */
public final class GrammarOnlyScriptEngineFactory extends AbstractGremlinScriptEngineFactory {
    /** The manager finds factories by language name, so both names must be the Groovy one. */
    private static final String CLAIMED_NAME = "gremlin-groovy";
    private static final String GRAMMAR_ENGINE = "gremlin-lang";

    public GrammarOnlyScriptEngineFactory() {
        super(CLAIMED_NAME, CLAIMED_NAME, Collections.singletonList("gremlin"),
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
        return new GremlinLangScriptEngine(customizers.toArray(new Customizer[0]));
    }
}
