package lineage.spline.plugin;

import javax.annotation.Priority;

import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.catalyst.analysis.EliminateSubqueryAliases$;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.plans.logical.DeleteFromTable;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.RowLevelWrite;
import org.apache.spark.sql.connector.write.RowLevelOperationTable;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation;

import scala.PartialFunction;
import scala.Tuple2;
import scala.runtime.AbstractPartialFunction;
import za.co.absa.spline.harvester.plugin.Plugin;
import za.co.absa.spline.harvester.plugin.ReadNodeProcessing;
import za.co.absa.spline.harvester.plugin.WriteNodeProcessing;

/**
 * Reports Spark 3.5's row-level writes ({@code ReplaceData}, {@code WriteDelta}: Iceberg's MERGE
 * INTO, UPDATE and DELETE, copy-on-write and merge-on-read) as writes to the target table.
 *
 * <p>The agent's own V2 handler claims every {@code V2WriteCommand}, these two included, and fails
 * on them (it reads a {@code writeOptions} field they lack), so the agent sends nothing. Inside
 * such a write Spark reads the target through a {@code RowLevelOperationTable}, which has no
 * location; the same handler fails on that read too. The agent asks its plugins in ascending
 * {@code @Priority} order and takes the first that answers: this one is ordered before the
 * built-in handlers and answers only for these two shapes, so every other read and write is
 * extracted as before.
 *
 * <p>The write: the target's location as the output, the table's provider as its format, the rows
 * Spark writes ({@code query}) as the plan, and parameters {@code table.identifier}
 * (catalog.namespace.name), {@code command} (MERGE, UPDATE or DELETE) and {@code condition}
 * (Spark's expression text, {@code (amount#12 < 10.0)}). The read of the target: the same
 * location, format and identifier.
 *
 * <p>A {@code DELETE FROM} that Spark runs without rewriting it ({@code DeleteFromTable}: no
 * {@code WHERE}, a metadata-only delete) is reported the same way, command DELETE. With no
 * condition every row goes, so its plan is an empty relation with the table's columns: the table
 * is written and nothing flows into it. With a condition the rows it leaves come from the target.
 */
@Priority(PluginOrder.BEFORE_BUILT_IN)
public final class IcebergRowLevelWritePlugin
        implements Plugin, WriteNodeProcessing, ReadNodeProcessing {

    @Override
    public PartialFunction<Tuple2<String, LogicalPlan>, Plugin.WriteNodeInfo> writeNodeProcessor() {
        return new RowLevelWrites().orElse(new UnrewrittenDeletes());
    }

    @Override
    public PartialFunction<LogicalPlan, Plugin.ReadNodeInfo> readNodeProcessor() {
        return new RowLevelReads();
    }

    /** {@code ReplaceData} / {@code WriteDelta} whose target is a V2 relation. */
    static final class RowLevelWrites
            extends AbstractPartialFunction<Tuple2<String, LogicalPlan>, Plugin.WriteNodeInfo> {

        @Override
        public boolean isDefinedAt(Tuple2<String, LogicalPlan> funcAndPlan) {
            LogicalPlan plan = funcAndPlan._2();
            return plan instanceof RowLevelWrite
                    && ((RowLevelWrite) plan).originalTable() instanceof DataSourceV2Relation
                    && plan.children().size() == 1;
        }

        @Override
        public Plugin.WriteNodeInfo apply(Tuple2<String, LogicalPlan> funcAndPlan) {
            LogicalPlan plan = funcAndPlan._2();
            RowLevelWrite write = (RowLevelWrite) plan;
            TableRef target = TableRef.of((DataSourceV2Relation) write.originalTable());
            scala.collection.immutable.Map<String, Object> params =
                    ScalaValues.emptyMap()
                            .updated("table", target.tableParam())
                            .updated("command", write.operation().command().name());
            Expression condition = write.condition();
            if (condition != null) {
                params = params.updated("condition", condition.toString());
            }
            // The plugin's name is left blank: the agent then names the write by Spark's node.
            return new Plugin.WriteNodeInfo(
                    target.sourceIdentifier(),
                    SaveMode.Overwrite,
                    plan.children().head(),
                    params,
                    ScalaValues.emptyMap(),
                    "");
        }
    }

    /** {@code DeleteFromTable} over a V2 table: a delete Spark does not rewrite. */
    static final class UnrewrittenDeletes
            extends AbstractPartialFunction<Tuple2<String, LogicalPlan>, Plugin.WriteNodeInfo> {

        @Override
        public boolean isDefinedAt(Tuple2<String, LogicalPlan> funcAndPlan) {
            LogicalPlan plan = funcAndPlan._2();
            return plan instanceof DeleteFromTable
                    && target((DeleteFromTable) plan) instanceof DataSourceV2Relation;
        }

        @Override
        public Plugin.WriteNodeInfo apply(Tuple2<String, LogicalPlan> funcAndPlan) {
            DeleteFromTable delete = (DeleteFromTable) funcAndPlan._2();
            DataSourceV2Relation relation = (DataSourceV2Relation) target(delete);
            TableRef target = TableRef.of(relation);
            Expression condition = delete.condition();
            scala.collection.immutable.Map<String, Object> params =
                    ScalaValues.emptyMap()
                            .updated("table", target.tableParam())
                            .updated("command", "DELETE")
                            .updated("condition", String.valueOf(condition));
            LogicalPlan rows = everyRow(condition) ? emptyLike(relation) : relation;
            return new Plugin.WriteNodeInfo(
                    target.sourceIdentifier(),
                    SaveMode.Overwrite,
                    rows,
                    params,
                    ScalaValues.emptyMap(),
                    "");
        }

        private static LogicalPlan target(DeleteFromTable delete) {
            return EliminateSubqueryAliases$.MODULE$.apply(delete.table());
        }

        private static boolean everyRow(Expression condition) {
            return condition == null
                    || (condition instanceof Literal
                            && Boolean.TRUE.equals(((Literal) condition).value()));
        }

        @SuppressWarnings("unchecked")
        private static LogicalPlan emptyLike(DataSourceV2Relation relation) {
            // AttributeReference is an Attribute; Scala's Seq is covariant, Java's view is not.
            scala.collection.Seq<Attribute> columns =
                    (scala.collection.Seq<Attribute>) (scala.collection.Seq<?>) relation.output();
            return new LocalRelation(columns, ScalaValues.emptySeq(), false);
        }
    }

    /** The target's read inside a row-level write: a relation over a RowLevelOperationTable. */
    static final class RowLevelReads
            extends AbstractPartialFunction<LogicalPlan, Plugin.ReadNodeInfo> {

        @Override
        public boolean isDefinedAt(LogicalPlan plan) {
            return plan instanceof DataSourceV2Relation
                    && ((DataSourceV2Relation) plan).table() instanceof RowLevelOperationTable;
        }

        @Override
        public Plugin.ReadNodeInfo apply(LogicalPlan plan) {
            TableRef source = TableRef.of((DataSourceV2Relation) plan);
            scala.collection.immutable.Map<String, Object> params =
                    ScalaValues.emptyMap().updated("table", source.tableParam());
            return new Plugin.ReadNodeInfo(
                    source.sourceIdentifier(), params, ScalaValues.emptyMap());
        }
    }
}
