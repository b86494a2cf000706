package lineage.gremlinserver;

import java.util.Map;

import org.apache.tinkerpop.gremlin.process.traversal.Step;
import org.apache.tinkerpop.gremlin.process.traversal.Traversal;
import org.apache.tinkerpop.gremlin.process.traversal.TraversalStrategy;
import org.apache.tinkerpop.gremlin.process.traversal.lambda.CardinalityValueTraversal;
import org.apache.tinkerpop.gremlin.process.traversal.lambda.ConstantTraversal;
import org.apache.tinkerpop.gremlin.process.traversal.step.map.MergeStep;
import org.apache.tinkerpop.gremlin.process.traversal.step.sideEffect.AddPropertyStep;
import org.apache.tinkerpop.gremlin.process.traversal.strategy.AbstractTraversalStrategy;
import org.apache.tinkerpop.gremlin.process.traversal.strategy.verification.VerificationException;
import org.apache.tinkerpop.gremlin.structure.VertexProperty;

/**
 * Rejects {@code list} cardinality: Neptune supports only {@code set} (its default) and {@code single}.
 *
 * TinkerGraph would accept {@code property(list, k, v)} and keep duplicates that Neptune never
 * stores, so code tested here could depend on data Neptune cannot hold.
 */
public final class SetOrSingleCardinalityStrategy
        extends AbstractTraversalStrategy<TraversalStrategy.VerificationStrategy>
        implements TraversalStrategy.VerificationStrategy {

    private static final SetOrSingleCardinalityStrategy INSTANCE = new SetOrSingleCardinalityStrategy();

    private SetOrSingleCardinalityStrategy() {
    }

    public static SetOrSingleCardinalityStrategy instance() {
        return INSTANCE;
    }

    @Override
    public void apply(final Traversal.Admin<?, ?> traversal) {
        // Child traversals get their own apply() call, so only this level's steps are checked.
        for (final Step<?, ?> step : traversal.getSteps()) {
            if (step instanceof AddPropertyStep
                    && ((AddPropertyStep<?>) step).getCardinality() == VertexProperty.Cardinality.list) {
                throw rejection(step, traversal);
            }
            if (step instanceof MergeStep) {
                final MergeStep<?, ?, ?> merge = (MergeStep<?, ?, ?>) step;
                if (hasListValue(merge.getOnCreateTraversal()) || hasListValue(merge.getOnMatchTraversal())) {
                    throw rejection(step, traversal);
                }
            }
        }
    }

    /** True when a constant option map of mergeV/mergeE holds a {@code list(value)} entry. */
    private static boolean hasListValue(final Traversal.Admin<?, ?> option) {
        if (!(option instanceof ConstantTraversal)) {
            return false;
        }
        final Object map = ((ConstantTraversal<?, ?>) option).next();
        if (!(map instanceof Map)) {
            return false;
        }
        for (final Object value : ((Map<?, ?>) map).values()) {
            if (value instanceof CardinalityValueTraversal
                    && ((CardinalityValueTraversal) value).getCardinality() == VertexProperty.Cardinality.list) {
                return true;
            }
        }
        return false;
    }

    private static VerificationException rejection(final Step<?, ?> step, final Traversal.Admin<?, ?> traversal) {
        return new VerificationException(
                "list cardinality is not supported (Neptune stores only set or single cardinality): " + step,
                traversal);
    }
}
