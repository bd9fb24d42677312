/*
 * Charts drawn with Chart.js (vendor/chart.umd.min.js) from data the page carries.
 *
 * The Content-Security-Policy allows no inline script, so a chart is markup:
 *
 *   <div class="chart-box" data-chart-box hidden>
 *     <canvas data-chart="chart-net-worth" aria-hidden="true"></canvas>
 *   </div>
 *   <script type="application/json" id="chart-net-worth">
 *     {"type": "line" | "doughnut" | "bar", "label": "Net worth",
 *      "labels": ["Jan 2026", ...], "values": ["1234.50", null, ...],
 *      "display": ["$1,234.50", "", ...], "colours": ["#8D6E63", "--chart-6", ...]}
 *   </script>
 *
 * A bar chart carries one or more series drawn side by side instead of "values":
 *   {"type": "bar", "labels": [...], "horizontal": false,
 *    "series": [{"label": "Income", "colour": "--chart-1", "values": ["12.50", ...]}]}
 *
 * Values are decimal strings: they become numbers here only to be drawn; every figure
 * a person reads (tooltips, axis ends aside) is the server's formatted "display" text.
 * The box stays hidden without JavaScript, and the page always carries the same
 * figures as text: a table in a <details data-chart-table> (folded once the chart is
 * drawn) or a list beside the chart.
 *
 * Colours come from CSS custom properties (css/dashboard.css), read again when the
 * theme changes, so both themes read well; a colour given as "--name" is such a
 * property, any other is used as it is (a category's own colour). With reduced motion nothing animates.
 */
(function () {
  "use strict";

  var charts = [];
  var PALETTE = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5", "--chart-6"];

  function token(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function translucent(colour, alpha) {
    var hex = /^#([0-9a-f]{6})$/i.exec(colour);
    if (!hex) return colour;
    var n = parseInt(hex[1], 16);
    return "rgba(" + (n >> 16) + ", " + ((n >> 8) & 255) + ", " + (n & 255) + ", " + alpha + ")";
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function readSpec(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) return null;
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  function numbers(values) {
    return values.map(function (v) {
      return v === null || v === undefined ? null : Number(v);
    });
  }

  function compact(value) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined, {
        notation: "compact",
        maximumFractionDigits: 1,
      }).format(value);
    } catch (error) {
      return String(value);
    }
  }

  function tooltip(spec) {
    return {
      callbacks: {
        label: function (item) {
          var text = (spec.display || [])[item.dataIndex];
          return (spec.type === "doughnut" ? item.label + ": " : "") + (text || item.formattedValue);
        },
      },
    };
  }

  function lineConfig(spec) {
    var line = token("--chart-line");
    var text = token("--chart-text");
    return {
      type: "line",
      data: {
        labels: spec.labels,
        datasets: [
          {
            label: spec.label,
            data: numbers(spec.values),
            borderColor: line,
            backgroundColor: translucent(line, 0.14),
            pointBackgroundColor: line,
            pointRadius: 2.5,
            pointHoverRadius: 5,
            borderWidth: 2,
            fill: true,
            // Smooth, but never overshooting: a curve dipping below two equal
            // month-ends would show a fall that did not happen.
            cubicInterpolationMode: "monotone",
            spanGaps: true,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: false }, tooltip: tooltip(spec) },
        scales: {
          x: {
            grid: { display: false },
            border: { color: token("--chart-grid") },
            ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 },
          },
          y: {
            grid: { color: token("--chart-grid") },
            border: { display: false },
            ticks: { color: text, maxTicksLimit: 5, callback: compact },
          },
        },
      },
    };
  }

  function doughnutConfig(spec) {
    var colours = spec.colours || [];
    var fills = spec.values.map(function (_, i) {
      var colour = colours[i] || PALETTE[i % PALETTE.length];
      return colour.indexOf("--") === 0 ? token(colour) : colour;
    });
    return {
      type: "doughnut",
      data: {
        labels: spec.labels,
        datasets: [
          {
            label: spec.label,
            data: numbers(spec.values),
            backgroundColor: fills,
            borderColor: token("--chart-surface"),
            borderWidth: 2,
            hoverOffset: 6,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        cutout: "62%",
        plugins: { legend: { display: false }, tooltip: tooltip(spec) },
      },
    };
  }

  function colourOf(name, index) {
    var colour = name || PALETTE[index % PALETTE.length];
    return colour.indexOf("--") === 0 ? token(colour) : colour;
  }

  function barConfig(spec) {
    var text = token("--chart-text");
    var valueAxis = {
      grid: { color: token("--chart-grid") },
      border: { display: false },
      ticks: { color: text, maxTicksLimit: 5, callback: compact },
    };
    var categoryAxis = {
      grid: { display: false },
      border: { color: token("--chart-grid") },
      ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 },
    };
    return {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, i) {
          var colour = colourOf(series.colour, i);
          return {
            label: series.label,
            data: numbers(series.values),
            backgroundColor: colour,
            borderColor: colour,
            borderRadius: 3,
            maxBarThickness: 28,
          };
        }),
      },
      options: {
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: {
            display: spec.series.length > 1,
            labels: { color: text, boxWidth: 12 },
          },
        },
        scales: spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      },
    };
  }

  function configFor(spec) {
    if (spec.type === "bar") return barConfig(spec);
    return spec.type === "doughnut" ? doughnutConfig(spec) : lineConfig(spec);
  }

  function draw(canvas) {
    var spec = readSpec(canvas);
    if (!spec) return;
    var values = spec.type === "bar" ? spec.series && spec.series.length && spec.labels : spec.values;
    if (!values || !values.length) return;
    var config = configFor(spec);
    config.options.responsive = true;
    config.options.animation = reducedMotion() ? false : { duration: 500 };
    var box = canvas.closest("[data-chart-box]");
    if (box) box.hidden = false;
    charts.push(new window.Chart(canvas, config));
    var card = canvas.closest(".dash-card") || document;
    var table = card.querySelector("[data-chart-table]");
    if (table && !table.hasAttribute("data-chart-table-kept")) {
      table.removeAttribute("open");
      table.setAttribute("data-chart-table-kept", "");
    }
  }

  function drawAll() {
    charts.forEach(function (chart) {
      chart.destroy();
    });
    charts = [];
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) draw(canvases[i]);
  }

  function init() {
    if (!window.Chart || !document.querySelector("canvas[data-chart]")) return;
    drawAll();
    // The theme toggle changes <html data-theme>; "auto" follows the system.
    new MutationObserver(drawAll).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
    if (window.matchMedia) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      if (scheme.addEventListener) scheme.addEventListener("change", drawAll);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
