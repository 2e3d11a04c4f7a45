package dev.nbdref.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the requirement IDs (spec/requirements.json) that a test method or test class verifies,
 * for example {@code @Verifies({"S41", "C07"})}. SpecCoverageTest reads these from the source
 * text to compute coverage; runtime retention also lets reports read them by reflection.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Verifies {
    /** Requirement IDs such as "S41" or "C07". */
    String[] value();
}
