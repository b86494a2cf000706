package lineage.gremlinserver.loader;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the header of a Neptune Gremlin CSV file declares, and the typed value of a cell.
 *
 * The rules are the strict reader's of {@code lineage/neptune_csv.py}: system columns
 * {@code ~id ~label ~from ~to}; property columns {@code name:Type}, {@code :Type[]},
 * {@code :Type(single)}, {@code :Type(set)}; edge properties single and scalar; types Bool, Byte,
 * Short, Int, Long, Float (32 bits), Double, String and Date in its four documented forms.
 */
final class CsvLayout {
    enum Kind { VERTEX, EDGE }

    enum Type { BOOL, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, STRING, DATE }

    /** One property column of the header. */
    static final class Column {
        final int index;
        final String name;
        final Type type;
        final boolean single;
        final boolean array;
        final String header;

        Column(final int index, final String name, final Type type, final boolean single, final boolean array,
               final String header) {
            this.index = index;
            this.name = name;
            this.type = type;
            this.single = single;
            this.array = array;
            this.header = header;
        }
    }

    /** A header or cell the format refuses; {@code datatype} for a value its type refuses. */
    static final class FormatError extends Exception {
        final boolean datatype;
        final long line;

        FormatError(final String message, final long line, final boolean datatype) {
            super(message);
            this.line = line;
            this.datatype = datatype;
        }
    }

    private static final Set<String> SYSTEM = Set.of("~id", "~label", "~from", "~to");
    private static final Pattern COLUMN = Pattern.compile(
            "((?:[^:\\\\]|\\\\.)+?)(?::([A-Za-z]+)(?:\\(([A-Za-z]+)\\))?(\\[\\])?)?");
    private static final Pattern FORBIDDEN_IN_NAME = Pattern.compile("[\\s,]");
    private static final Map<String, Type> TYPES = new HashMap<>();

    static {
        for (final Type type : Type.values()) {
            TYPES.put(type.name().toLowerCase(Locale.ROOT), type);
        }
        TYPES.put("boolean", Type.BOOL);
    }

    final Kind kind;
    final int width;
    final int idIndex;
    final int labelIndex;
    final int fromIndex;
    final int toIndex;
    final Column[] columns;

    private CsvLayout(final Kind kind, final int width, final int idIndex, final int labelIndex,
                      final int fromIndex, final int toIndex, final Column[] columns) {
        this.kind = kind;
        this.width = width;
        this.idIndex = idIndex;
        this.labelIndex = labelIndex;
        this.fromIndex = fromIndex;
        this.toIndex = toIndex;
        this.columns = columns;
    }

    static CsvLayout parse(final List<String> cells) throws FormatError {
        final Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < cells.size(); i++) {
            final String cell = cells.get(i);
            if (cell.isEmpty()) {
                throw new FormatError("empty header cell at position " + (i + 1), 1, false);
            }
            if (cell.startsWith("~") && !SYSTEM.contains(cell)) {
                throw new FormatError("unknown system column (use ~id, ~label, ~from, ~to): '" + cell + "'", 1, false);
            }
            if (seen.put(cell, i) != null) {
                throw new FormatError("header cell appears twice: '" + cell + "'", 1, false);
            }
        }
        if (!seen.containsKey("~id")) {
            throw new FormatError("header has no ~id column: '" + String.join(",", cells) + "'", 1, false);
        }
        final boolean hasFrom = seen.containsKey("~from");
        if (hasFrom != seen.containsKey("~to")) {
            throw new FormatError("an edge file needs both ~from and ~to", 1, false);
        }
        final List<Column> columns = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        for (int i = 0; i < cells.size(); i++) {
            final String cell = cells.get(i);
            if (SYSTEM.contains(cell)) {
                continue;
            }
            final Column column = column(i, cell, hasFrom);
            if (!names.add(column.name)) {
                throw new FormatError("property declared twice: '" + cell + "'", 1, false);
            }
            columns.add(column);
        }
        return new CsvLayout(hasFrom ? Kind.EDGE : Kind.VERTEX, cells.size(), seen.get("~id"),
                seen.getOrDefault("~label", -1), seen.getOrDefault("~from", -1), seen.getOrDefault("~to", -1),
                columns.toArray(new Column[0]));
    }

    private static Column column(final int index, final String cell, final boolean edge) throws FormatError {
        final Matcher match = COLUMN.matcher(cell);
        if (!match.matches()) {
            throw new FormatError("malformed property column header: '" + cell + "'", 1, false);
        }
        final String name = match.group(1).replaceAll("\\\\(.)", "$1");
        final Type type;
        if (match.group(2) == null) {
            type = Type.STRING;
        } else {
            type = TYPES.get(match.group(2).toLowerCase(Locale.ROOT));
            if (type == null) {
                throw new FormatError("unknown type '" + match.group(2) + "'; use Bool, Byte, Short, Int, Long, "
                        + "Float, Double, String or Date: '" + cell + "'", 1, false);
            }
        }
        final String card = match.group(3) == null ? null : match.group(3).toLowerCase(Locale.ROOT);
        if (card != null && !card.equals("single") && !card.equals("set")) {
            throw new FormatError("unknown cardinality (single or set): '" + cell + "'", 1, false);
        }
        final boolean array = match.group(4) != null;
        if (name.isEmpty() || name.startsWith("~")) {
            throw new FormatError("invalid property name: '" + cell + "'", 1, false);
        }
        if (FORBIDDEN_IN_NAME.matcher(name).find()) {
            throw new FormatError("property name '" + name + "' holds a space, comma, CR or LF, which Neptune "
                    + "forbids in headers", 1, false);
        }
        if (array && "single".equals(card)) {
            throw new FormatError("column '" + name + "': single cardinality contradicts an array", 1, false);
        }
        if (edge && array) {
            throw new FormatError("edge property '" + name + "': edge properties cannot be arrays", 1, false);
        }
        if (edge && "set".equals(card)) {
            throw new FormatError("edge property '" + name + "': edge properties are always single", 1, false);
        }
        return new Column(index, name, type, edge || "single".equals(card), array, cell);
    }

    // --- values ---------------------------------------------------------------------------

    private static final Pattern DECIMAL_TEXT = Pattern.compile(
            "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
    static final String DATE_FORMS = "yyyy-MM-dd, yyyy-MM-ddTHH:mm, yyyy-MM-ddTHH:mm:ss, yyyy-MM-ddTHH:mm:ssZ";

    /** The Java value of one cell text; IllegalArgumentException with the reason otherwise. */
    static Object value(final Type type, final String text) {
        switch (type) {
            case STRING:
                return text;
            case BOOL:
                if (text.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (text.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                throw new IllegalArgumentException("not a Bool (true or false)");
            case BYTE:
                return (byte) integer(text, type, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case SHORT:
                return (short) integer(text, type, Short.MIN_VALUE, Short.MAX_VALUE);
            case INT:
                return (int) integer(text, type, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case LONG:
                return integer(text, type, Long.MIN_VALUE, Long.MAX_VALUE);
            case FLOAT: {
                final double number = decimal(text, "Float");
                final float narrow = (float) number;
                if (Float.isInfinite(narrow) && !Double.isInfinite(number)) {
                    throw new IllegalArgumentException("outside the Float (32-bit) range");
                }
                return narrow;
            }
            case DOUBLE:
                return decimal(text, "Double");
            default:
                return date(text);
        }
    }

    private static long integer(final String text, final Type type, final long low, final long high) {
        final String name = typeName(type);
        if (!isInteger(text)) {
            throw new IllegalArgumentException("not an integer (" + name + ")");
        }
        final long number;
        try {
            number = Long.parseLong(text.startsWith("+") ? text.substring(1) : text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("outside the " + name + " range " + low + ".." + high);
        }
        if (number < low || number > high) {
            throw new IllegalArgumentException("outside the " + name + " range " + low + ".." + high);
        }
        return number;
    }

    /** {@code [+-]?[0-9]+}, without a regex: most cells of a build are numbers. */
    private static boolean isInteger(final String text) {
        final int length = text.length();
        int i = length > 0 && (text.charAt(0) == '+' || text.charAt(0) == '-') ? 1 : 0;
        if (i == length) {
            return false;
        }
        for (; i < length; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static double decimal(final String text, final String name) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "nan":
                return Double.NaN;
            case "infinity": case "+infinity": case "inf": case "+inf":
                return Double.POSITIVE_INFINITY;
            case "-infinity": case "-inf":
                return Double.NEGATIVE_INFINITY;
            default:
                break;
        }
        if (!DECIMAL_TEXT.matcher(text).matches()) {
            throw new IllegalArgumentException("not a number (" + name + ")");
        }
        final double number = Double.parseDouble(text);
        if (Double.isInfinite(number)) {
            throw new IllegalArgumentException("outside the " + name + " range");
        }
        return number;
    }

    /**
     * A Date cell in one of {@link #DATE_FORMS}, read by position: a build has a few dates per
     * run, and a regular expression per cell made this the largest method the JIT compiled.
     */
    private static Date date(final String text) {
        final int length = text.length();
        final boolean shaped = (length == 10 || length == 16 || length == 19 || length == 20)
                && digits(text, 0, 4) && text.charAt(4) == '-' && digits(text, 5, 7) && text.charAt(7) == '-'
                && digits(text, 8, 10)
                && (length == 10 || text.charAt(10) == 'T' && digits(text, 11, 13) && text.charAt(13) == ':'
                        && digits(text, 14, 16))
                && (length <= 16 || text.charAt(16) == ':' && digits(text, 17, 19))
                && (length <= 19 || text.charAt(19) == 'Z');
        if (!shaped) {
            throw new IllegalArgumentException("not a documented Neptune Date form (" + DATE_FORMS
                    + "); keep milliseconds in a Long column");
        }
        try {
            final LocalDateTime time = LocalDateTime.of(number(text, 0, 4), number(text, 5, 7), number(text, 8, 10),
                    length > 10 ? number(text, 11, 13) : 0, length > 10 ? number(text, 14, 16) : 0,
                    length > 16 ? number(text, 17, 19) : 0);
            return Date.from(time.toInstant(ZoneOffset.UTC));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("not a valid date (" + e.getMessage() + ")");
        }
    }

    /** True when {@code text[from, to)} is ASCII digits only. */
    private static boolean digits(final String text, final int from, final int to) {
        for (int i = from; i < to; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** The number written by the ASCII digits {@code text[from, to)}. */
    private static int number(final String text, final int from, final int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            value = value * 10 + (text.charAt(i) - '0');
        }
        return value;
    }

    static String typeName(final Type type) {
        final String lower = type.name().toLowerCase(Locale.ROOT);
        return Character.toUpperCase(lower.charAt(0)) + lower.substring(1);
    }

    /** The parts of an array cell: split at {@code ;} not preceded by a backslash, empties dropped. */
    static List<String> arrayParts(final String text) {
        final List<String> parts = new ArrayList<>();
        final StringBuilder part = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && text.charAt(i + 1) == ';') {
                part.append(';');
                i++;
            } else if (c == ';') {
                if (part.length() > 0) {
                    parts.add(part.toString());
                }
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        if (part.length() > 0) {
            parts.add(part.toString());
        }
        return parts;
    }
}
