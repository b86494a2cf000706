package lineage.spline.plugin;

import java.util.Collections;

import scala.collection.JavaConverters;

/** The few Scala collections the agent's plugin API takes, built from Java. */
final class ScalaValues {
    private ScalaValues() {}

    static scala.collection.immutable.Map<String, Object> emptyMap() {
        return scala.collection.immutable.Map$.MODULE$.<String, Object>empty();
    }

    static <T> scala.collection.Seq<T> emptySeq() {
        return JavaConverters.asScalaBuffer(Collections.<T>emptyList()).toList();
    }

    static scala.collection.Seq<String> seqOf(String value) {
        return JavaConverters.asScalaBuffer(Collections.singletonList(value)).toList();
    }
}
