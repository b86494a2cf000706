package lineage.gremlinserver;

import java.util.Map;

import org.apache.tinkerpop.gremlin.process.computer.traversal.step.map.ProgramVertexProgramStep;
import org.apache.tinkerpop.gremlin.process.traversal.Step;
import org.apache.tinkerpop.gremlin.process.traversal.Traversal;
import org.apache.tinkerpop.gremlin.process.traversal.TraversalStrategy;
import org.apache.tinkerpop.gremlin.process.traversal.step.map.CallStep;
import org.apache.tinkerpop.gremlin.process.traversal.step.sideEffect.IoStep;
import org.apache.tinkerpop.gremlin.process.traversal.strategy.AbstractTraversalStrategy;
import org.apache.tinkerpop.gremlin.process.traversal.strategy.verification.VerificationException;

/**
 * Rejects the TinkerPop 3.7 steps Neptune does not offer: {@code io()}, {@code program()} and
 * {@code call()}.
 *
 * {@code io()} is the dangerous one: on Gremlin Server it reads and writes files of the server's
 * machine with the server's permissions, so any client could overwrite or read the user's files.
 * Neptune has no file system to offer and loads data through its bulk loader instead.
 * {@code program()} runs a VertexProgram on a graph computer (Neptune has no OLAP), and
 * {@code call()} invokes services only TinkerGraph registers.
 */
public final class NeptuneUnsupportedStepsStrategy
        extends AbstractTraversalStrategy<TraversalStrategy.VerificationStrategy>
        implements TraversalStrategy.VerificationStrategy {

    private static final NeptuneUnsupportedStepsStrategy INSTANCE = new NeptuneUnsupportedStepsStrategy();

    private static final Map<Class<?>, String> REFUSED = Map.of(
            IoStep.class, "io() is not supported (Neptune has no io step; load data with its bulk loader)",
            ProgramVertexProgramStep.class, "program() is not supported (Neptune runs no vertex programs)",
            CallStep.class, "call() is not supported (Neptune offers none of TinkerGraph's services)");

    private NeptuneUnsupportedStepsStrategy() {
    }

    public static NeptuneUnsupportedStepsStrategy instance() {
        return INSTANCE;
    }

    @Override
    public void apply(final Traversal.Admin<?, ?> traversal) {
        // Child traversals get their own apply() call, so only this level's steps are checked.
        for (final Step<?, ?> step : traversal.getSteps()) {
            for (final Map.Entry<Class<?>, String> refused : REFUSED.entrySet()) {
                if (refused.getKey().isInstance(step)) {
                    throw new VerificationException(refused.getValue(), traversal);
                }
            }
        }
    }
}
