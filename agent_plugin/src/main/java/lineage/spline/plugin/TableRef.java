package lineage.spline.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.spark.sql.connector.catalog.Identifier;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.write.RowLevelOperationTable;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation;

import scala.Option;
import za.co.absa.spline.harvester.builder.SourceIdentifier;

/** A catalog table as the agent reports it: location URI, format and dotted identifier. */
final class TableRef {
    // A URI scheme (RFC 3986) and its colon; a plain path has none. Linear: no nested repeats.
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    final String identifier;
    final String uri;
    final String format;

    private TableRef(String identifier, String uri, String format) {
        this.identifier = identifier;
        this.uri = uri;
        this.format = format;
    }

    /** The table a relation reads or writes; a row-level operation's table is unwrapped. */
    static TableRef of(DataSourceV2Relation relation) {
        Table table = relation.table();
        if (table instanceof RowLevelOperationTable) {
            table = ((RowLevelOperationTable) table).table();
        }
        String identifier = identifierOf(relation, table);
        Map<String, String> properties = table.properties();
        String location = properties == null ? null : properties.get("location");
        String provider = properties == null ? null : properties.get("provider");
        String uri;
        if (location == null || location.isEmpty()) {
            uri = identifier;
        } else if (SCHEME.matcher(location).find()) {
            uri = location;
        } else {
            uri = "file:" + location;
        }
        return new TableRef(identifier, uri, provider);
    }

    SourceIdentifier sourceIdentifier() {
        Option<Object> formatOption = Option.apply(format == null ? null : (Object) format);
        return new SourceIdentifier(formatOption, ScalaValues.seqOf(uri));
    }

    /** {@code {identifier: "catalog.namespace.name"}}, the form the agent gives V2 tables. */
    scala.collection.immutable.Map<String, Object> tableParam() {
        return ScalaValues.emptyMap().updated("identifier", identifier);
    }

    /** {@code catalog.namespace.name}, each part in backticks where it holds a dot or one. */
    private static String identifierOf(DataSourceV2Relation relation, Table table) {
        if (!relation.identifier().isDefined()) {
            return table.name();
        }
        List<String> parts = new ArrayList<>();
        if (relation.catalog().isDefined()) {
            parts.add(relation.catalog().get().name());
        }
        Identifier id = relation.identifier().get();
        for (String part : id.namespace()) {
            parts.add(part);
        }
        parts.add(id.name());
        StringBuilder out = new StringBuilder();
        for (String part : parts) {
            if (out.length() > 0) {
                out.append('.');
            }
            boolean plain = part.indexOf('.') < 0 && part.indexOf('`') < 0;
            out.append(plain ? part : "`" + part.replace("`", "``") + "`");
        }
        return out.toString();
    }
}
