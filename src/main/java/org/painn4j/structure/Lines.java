package org.painn4j.structure;

import java.io.Closeable;
import java.io.IOException;

/** The lines of a text, without their line breaks (\n, \r\n or \r); null at the end. */
interface Lines extends Closeable {
    String readLine() throws IOException;
}
