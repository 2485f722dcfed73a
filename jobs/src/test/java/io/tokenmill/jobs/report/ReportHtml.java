package io.tokenmill.jobs.report;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/** Reads a report.html back: its embedded images, decoded, and checks that each is a drawn chart. */
public final class ReportHtml {

  private static final Pattern IMG = Pattern.compile("<img alt=\"([^\"]*)\"[^>]*src=\"data:image/png;base64,([^\"]+)\">");
  private static final Pattern ANY_SRC = Pattern.compile("(?:src|href)=\"(?!data:)");

  public record Image(String alt, BufferedImage image) {}

  private ReportHtml() {}

  /** Every {@code <img>} of the page, decoded; fails on an image that is not a PNG or a reference to a file. */
  public static List<Image> images(String html) throws IOException {
    assertFalse(ANY_SRC.matcher(html).find(), "the report must be self-contained (no src/href to other files)");
    List<Image> out = new ArrayList<>();
    Matcher m = IMG.matcher(html);
    while (m.find()) {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(2))));
      assertNotNull(img, "image '" + m.group(1) + "' does not decode as PNG");
      assertEquals(ReportCharts.WIDTH, img.getWidth(), m.group(1));
      assertEquals(ReportCharts.HEIGHT, img.getHeight(), m.group(1));
      assertTrue(colours(img) > 8, "image '" + m.group(1) + "' looks blank");
      out.add(new Image(m.group(1), img));
    }
    assertEquals(count(html, "<img "), out.size(), "every <img> is an embedded PNG");
    return out;
  }

  public static List<String> alts(List<Image> images) {
    return images.stream().map(Image::alt).toList();
  }

  private static int colours(BufferedImage img) {
    Set<Integer> seen = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 3) {
      for (int x = 0; x < img.getWidth(); x += 3) seen.add(img.getRGB(x, y));
    }
    return seen.size();
  }

  /** Pixels of {@code rgb} (within a small tolerance) in an image. */
  public static long pixels(BufferedImage img, int rgb) {
    long n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int p = img.getRGB(x, y);
        if (Math.abs(((p >> 16) & 255) - ((rgb >> 16) & 255)) <= 6 && Math.abs(((p >> 8) & 255) - ((rgb >> 8) & 255)) <= 6
            && Math.abs((p & 255) - (rgb & 255)) <= 6) {
          n++;
        }
      }
    }
    return n;
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
    return n;
  }
}
