package dev.nbdref.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineParsingTest {

    @Test
    void sizesUseBinaryUnits() {
        assertEquals(1048576, Sizes.parse("1048576"));
        assertEquals(512L << 10, Sizes.parse("512K"));
        assertEquals(64L << 20, Sizes.parse("64M"));
        assertEquals(1L << 30, Sizes.parse("1G"));
        assertEquals(1L << 30, Sizes.parse("1GiB"));
        assertEquals(2L << 40, Sizes.parse("2t"));
    }

    @Test
    void badSizesSayWhatIsExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("lots"));
        assertTrue(e.getMessage().contains("64M"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-5"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999P"));
    }

    @Test
    void exportSpecWithAllOptions() {
        ExportSpec s = ExportSpec.parse("disk=file:/var/tmp/a.raw,ro,description=my disk, with commas");
        assertEquals(new ExportSpec("disk", "file", "/var/tmp/a.raw", true, false, "my disk, with commas"), s);
        assertEquals(new ExportSpec("default", "memory", "1G", null, false, null), ExportSpec.parse("default=memory:1G"));
        assertEquals(new ExportSpec("", "memory", "1M", null, false, null), ExportSpec.parse("=memory:1M"));
    }

    @Test
    void badExportSpecsAreExplained() {
        assertThrows(IllegalArgumentException.class, () -> ExportSpec.parse("memory:1G"));
        assertThrows(IllegalArgumentException.class, () -> ExportSpec.parse("d=tape:0"));
        assertThrows(IllegalArgumentException.class, () -> ExportSpec.parse("d=memory"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExportSpec.parse("d=memory:1G,readonly"));
        assertTrue(e.getMessage().contains("ro"), e.getMessage());
    }

    @Test
    void listenAddresses() {
        assertEquals(new Listen("127.0.0.1", 10809), Listen.parse("127.0.0.1:10809"));
        assertEquals(new Listen("::1", 0), Listen.parse("[::1]:0"));
        assertThrows(IllegalArgumentException.class, () -> Listen.parse("127.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Listen.parse("127.0.0.1:70000"));
        assertThrows(IllegalArgumentException.class, () -> Listen.parse("127.0.0.1:x"));
    }
}
