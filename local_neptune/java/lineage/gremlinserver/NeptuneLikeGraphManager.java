package lineage.gremlinserver;

import org.apache.tinkerpop.gremlin.process.traversal.dsl.graph.GraphTraversalSource;
import org.apache.tinkerpop.gremlin.process.traversal.strategy.verification.LambdaRestrictionStrategy;
import org.apache.tinkerpop.gremlin.server.Settings;
import org.apache.tinkerpop.gremlin.server.util.DefaultGraphManager;
import org.apache.tinkerpop.gremlin.structure.Graph;

/**
 * Binds the traversal source {@code g} without a Groovy init script, the way Neptune pre-binds it.
 *
 * Gremlin Server only learns traversal sources from init scripts, which need the Groovy engine;
 * Neptune has no Groovy, so this server runs without it and binds {@code g} here instead. The
 * source refuses lambdas, {@code list} cardinality and the steps Neptune lacks ({@code io()},
 * {@code program()}, {@code call()}).
 */
public class NeptuneLikeGraphManager extends DefaultGraphManager {
    /** Name of the graph in the server configuration whose source becomes {@code g}. */
    public static final String GRAPH_NAME = "graph";

    public NeptuneLikeGraphManager(final Settings settings) {
        super(settings);
        final Graph graph = getGraph(GRAPH_NAME);
        // A graph that failed to open is only logged by DefaultGraphManager; leaving g unbound
        // makes the start-up probe fail with the server's log instead of serving an empty graph.
        if (graph != null) {
            final GraphTraversalSource g = new NeptuneLikeTraversalSource(
                    graph, graph.traversal().getStrategies()).withStrategies(
                    LambdaRestrictionStrategy.instance(), SetOrSingleCardinalityStrategy.instance(),
                    NeptuneUnsupportedStepsStrategy.instance());
            putTraversalSource("g", g);
        }
    }
}
