package lineage.gremlinserver;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.tinkerpop.gremlin.process.traversal.TraversalStrategies;
import org.apache.tinkerpop.gremlin.process.traversal.TraversalStrategy;
import org.apache.tinkerpop.gremlin.process.traversal.dsl.graph.GraphTraversalSource;
import org.apache.tinkerpop.gremlin.process.traversal.strategy.verification.LambdaRestrictionStrategy;
import org.apache.tinkerpop.gremlin.structure.Graph;

/**
 * The source bound as {@code g}: a {@link GraphTraversalSource} whose Neptune-like refusals cannot
 * be taken away by the client.
 *
 * The refusals are traversal strategies, and any client may send
 * {@code withoutStrategies(SomeStrategy)}: without this guard a bytecode client could remove
 * {@link NeptuneUnsupportedStepsStrategy} and then use {@code io()} to read or write the user's
 * files. Bytecode and gremlin-lang both reach this method, and every source derived from
 * {@code g} is a clone of this class, so the guard holds for all of them.
 */
public final class NeptuneLikeTraversalSource extends GraphTraversalSource {
    private static final Set<Class<?>> ENFORCED = Set.of(
            LambdaRestrictionStrategy.class,
            SetOrSingleCardinalityStrategy.class,
            NeptuneUnsupportedStepsStrategy.class);

    public NeptuneLikeTraversalSource(final Graph graph, final TraversalStrategies strategies) {
        super(graph, strategies);
    }

    /**
     * Removes the named strategies except the Neptune-like refusals, which stay in force.
     *
     * Keeping them (rather than throwing) lets the refused step itself answer with its precise
     * message ("io() is not supported ..."): an exception thrown here reaches the client only as
     * "null: .withoutStrategies(Class)", because the bytecode translator drops its message.
     */
    @Override
    public GraphTraversalSource withoutStrategies(
            final Class<? extends TraversalStrategy>... traversalStrategyClasses) {
        final List<Class<? extends TraversalStrategy>> removable = new ArrayList<>();
        for (final Class<? extends TraversalStrategy> named : traversalStrategyClasses) {
            if (named != null && !ENFORCED.contains(named)) {
                removable.add(named);
            }
        }
        @SuppressWarnings("unchecked")
        final Class<? extends TraversalStrategy>[] kept = removable.toArray(new Class[0]);
        return super.withoutStrategies(kept);
    }
}
