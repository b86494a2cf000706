package lineage.gremlinserver.loader;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One copy of each repeated string value of a load, shared by its parser threads.
 *
 * A lineage graph repeats values across elements and files: a plan's id is on each of its
 * operations and derivation edges, a dataset's URI on each of its columns. Sharing them within a
 * file, with a small table per column, kept only the first few thousand (ten thousand plans have
 * ten thousand ids), and none across files. The table lives as long as the load; it holds the
 * graph's own strings, so its cost is its entries, bounded by {@link #MAX_ENTRIES}.
 */
final class SharedValues {
    static final int MAX_LENGTH = 4096;
    static final int MAX_ENTRIES = 1 << 20;

    private final ConcurrentHashMap<String, String> seen = new ConcurrentHashMap<>(1 << 12);

    /** The shared copy of a string value (the value itself the first time); other values as is. */
    Object share(final Object value) {
        if (!(value instanceof String)) {
            return value;
        }
        final String text = (String) value;
        if (text.length() > MAX_LENGTH) {
            return text;
        }
        final String known = seen.get(text);
        if (known != null) {
            return known;
        }
        if (seen.size() >= MAX_ENTRIES) {
            return text;
        }
        final String raced = seen.putIfAbsent(text, text);
        return raced != null ? raced : text;
    }
}
