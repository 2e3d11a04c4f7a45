package dev.nbdref.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Keeps spec/constants.json and the Java constants of dev.nbdref.spec in agreement, in both
 * directions: every JSON entry equals its Java constant, and every Java constant has an entry.
 */
class SpecConstantsTest {
    private static final String PACKAGE = "dev.nbdref.spec.";
    /** The classes holding protocol constants; each must be described by spec/constants.json. */
    private static final List<String> CONSTANT_CLASSES = List.of("Magic", "HandshakeFlag", "OptionType",
            "OptionReplyType", "InfoType", "TransmissionFlag", "CommandType", "CommandFlag", "ReplyType",
            "ErrorCode", "Limits", "MetaContext");

    private final JsonNode constants = SpecFiles.classpathJson("spec/constants.json");

    @Test
    void everyJsonConstantEqualsItsJavaConstant() throws ReflectiveOperationException {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, JsonNode> group : groups()) {
            String javaClass = group.getValue().get("javaClass").asString();
            Class<?> type = Class.forName(PACKAGE + javaClass);
            String prefix = group.getValue().path("namePrefix").asString(null);
            for (JsonNode entry : group.getValue().get("entries")) {
                String name = entry.get("name").asString();
                String field = entry.get("java").asString();
                if (prefix != null && !name.equals(prefix + field)) {
                    problems.add(name + " is mapped to " + javaClass + "." + field + "; expected the name " + prefix + field);
                }
                Object expected = jsonValue(entry.get("value"));
                Object actual = javaValue(type, field);
                if (!expected.equals(actual)) {
                    problems.add(group.getKey() + "/" + name + ": spec/constants.json says " + show(expected)
                            + ", " + javaClass + "." + field + " is " + show(actual));
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void everyJavaConstantAppearsInJson() throws ReflectiveOperationException {
        Set<String> described = new HashSet<>();
        for (Map.Entry<String, JsonNode> group : groups()) {
            String javaClass = group.getValue().get("javaClass").asString();
            group.getValue().get("entries").forEach(e -> described.add(javaClass + "." + e.get("java").asString()));
        }
        Set<String> missing = new TreeSet<>();
        for (String javaClass : CONSTANT_CLASSES) {
            for (Field f : Class.forName(PACKAGE + javaClass).getDeclaredFields()) {
                if (isProtocolConstant(f) && !described.contains(javaClass + "." + f.getName())) {
                    missing.add(javaClass + "." + f.getName());
                }
            }
        }
        assertEquals(Set.of(), missing, "Java constants without an entry in spec/constants.json");
    }

    /** Public static finals of a primitive, String or the enum's own type: the protocol values. */
    private static boolean isProtocolConstant(Field f) {
        int m = f.getModifiers();
        boolean publicConstant = Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m);
        Class<?> t = f.getType();
        return publicConstant && (t.isPrimitive() || t == String.class || t == f.getDeclaringClass());
    }

    private List<Map.Entry<String, JsonNode>> groups() {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> p : constants.properties()) {
            // Groups without javaClass (reservedMagic) are documentation for validators only.
            if (p.getValue().isObject() && p.getValue().has("javaClass")) {
                out.add(p);
            }
        }
        return out;
    }

    /** Numbers as unsigned longs (hex strings for magic), names as strings. */
    private static Object jsonValue(JsonNode value) {
        if (value.isNumber()) {
            return value.longValue();
        }
        String s = value.asString();
        return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : s;
    }

    /** Reads an enum constant's numeric field ("value" or "bit") or a static field's value. */
    private static Object javaValue(Class<?> type, String name) throws ReflectiveOperationException {
        Object v = type.getField(name).get(null);
        if (v instanceof Enum<?> constant) {
            Field number = numberField(type);
            v = number.get(constant);
        }
        if (v instanceof Integer i) {
            return Integer.toUnsignedLong(i); // NBD_REP_ERR_* have bit 31 set
        }
        if (v instanceof Long l) {
            return l;
        }
        return v;
    }

    private static Field numberField(Class<?> enumType) throws NoSuchFieldException {
        for (String candidate : List.of("value", "bit")) {
            try {
                return enumType.getField(candidate);
            } catch (NoSuchFieldException ignored) {
                // try the next spelling
            }
        }
        throw new NoSuchFieldException(enumType.getSimpleName() + " has neither 'value' nor 'bit'");
    }

    private static String show(Object v) {
        return v instanceof Long l ? l + " (0x" + Long.toHexString(l) + ")" : String.valueOf(v);
    }

    @Test
    void everyConstantClassIsDescribed() {
        Set<String> covered = new TreeSet<>();
        groups().forEach(g -> covered.add(g.getValue().get("javaClass").asString()));
        assertEquals(new TreeSet<>(CONSTANT_CLASSES), covered);
    }
}
