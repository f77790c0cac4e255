/* Draws the charts of the public pages with plotly.js from the figure JSON the server put in
   <script type="application/json"> blocks (no inline scripts: the Content-Security-Policy holds),
   and wires the PNG and copy buttons. Loaded with `defer` and nothing else. Until a chart is drawn,
   its plot shows the server's sketch of it (public/sketches.py) and its data table holds its numbers.
   plotly.js blocks a phone's main thread for about half a second as it starts (docs/BENCHMARKS.md), so
   it is fetched, from the URL in this script's data-plotly-src (the static-files manifest name), only
   once the reader first touches, points at, scrolls or types on the page, or asks for a PNG; then
   each chart is drawn when it comes within a screen of the viewport, one per idle callback or
   animation frame, so that no long task draws them all at once.
   body[data-charts-drawn=true] says every chart of the page is drawn. */
(function () {
  "use strict";

  var plotlySrc = (document.querySelector("script[data-plotly-src]") || { dataset: {} }).dataset.plotlySrc;
  var charts = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
  var language = (document.documentElement.lang || "en").toLowerCase();
  var config = { responsive: true, displaylogo: false, displayModeBar: false, locale: language };
  var loading = null;
  var drawing = {};
  var figures = {};
  var queue = [];
  var pumping = false;
  var drawn = 0;

  // Ukrainian dates on the axes (<html lang="uk">): months in the nominative, as Ukrainian style guides
  // write them alone on an axis; numbers with a comma and a space, as the pages' text has them.
  var UKRAINIAN = {
    moduleType: "locale",
    name: "uk",
    dictionary: {},
    format: {
      days: ["неділя", "понеділок", "вівторок", "середа", "четвер", "пʼятниця", "субота"],
      shortDays: ["нд", "пн", "вт", "ср", "чт", "пт", "сб"],
      months: ["січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
        "жовтень", "листопад", "грудень"],
      shortMonths: ["січ", "лют", "бер", "квіт", "трав", "черв", "лип", "серп", "вер", "жовт", "лист", "груд"],
      date: "%d.%m.%Y",
      decimal: ",",
      thousands: " "
    }
  };

  // A chart's figure, parsed once, when the chart first comes near (not all of them at load).
  function figureOf(element) {
    if (!figures[element.id]) {
      figures[element.id] = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    }
    return figures[element.id];
  }

  // The plot takes the height its figure will have as the sketch gives way, so that the page below
  // does not move twice while plotly.js draws it.
  function reserveHeight(element) {
    var height = figureOf(element).layout.height;
    if (height) {
      element.style.minHeight = height + "px";
    }
  }

  function loadPlotly() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        if (window.Plotly) {
          resolve(window.Plotly);
          return;
        }
        var script = document.createElement("script");
        script.src = plotlySrc;
        script.async = true;
        script.onload = function () {
          window.Plotly.register(UKRAINIAN);
          resolve(window.Plotly);
        };
        script.onerror = function () {
          loading = null; // a later chart or PNG click tries again
          reject(new Error("plotly.js did not load from " + plotlySrc));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // One chart's drawing, started once: by the queue as it comes near, or by its PNG button.
  function draw(element) {
    if (!drawing[element.id]) {
      drawing[element.id] = loadPlotly().then(function (Plotly) {
        var figure = figureOf(element);
        reserveHeight(element);
        element.replaceChildren(); // the sketch gives way to the drawn chart
        return Plotly.newPlot(element, figure.data, figure.layout, config);
      }).then(function () {
        element.dataset.drawn = "true";
        drawn += 1;
        if (drawn === charts.length) {
          document.body.dataset.chartsDrawn = "true";
        }
      }, function (error) {
        delete drawing[element.id];
        throw error;
      });
    }
    return drawing[element.id];
  }

  var later = window.requestIdleCallback
    ? function (task) { window.requestIdleCallback(task, { timeout: 300 }); }
    : function (task) { window.requestAnimationFrame(function () { window.setTimeout(task, 0); }); };

  // Draws the queued charts one per task, after plotly.js has loaded.
  function pump() {
    if (pumping || queue.length === 0) {
      return;
    }
    pumping = true;
    loadPlotly().then(function () {
      later(function () {
        var next = function () { pumping = false; pump(); };
        draw(queue.shift()).then(next, next);
      });
    }, function () { pumping = false; });
  }

  function nearViewport(element) {
    queue.push(element);
    pump();
  }

  function savePng(button) {
    var element = document.getElementById(button.dataset.png);
    draw(element).then(function () {
      return window.Plotly.downloadImage(element, {
        format: "png", width: 1200, height: 700, filename: button.dataset.filename
      });
    });
  }

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    field.select();
    var done = function () { button.textContent = button.dataset.copied || "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  }

  document.addEventListener("click", function (event) {
    var png = event.target.closest("[data-png]");
    if (png) {
      savePng(png);
    }
    var copyButton = event.target.closest("[data-copy]");
    if (copyButton) {
      copy(copyButton);
    }
  });

  // Charts are drawn as they come near the viewport, once the reader has shown up.
  function observe() {
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            nearViewport(entry.target);
          }
        });
      }, { rootMargin: "100% 0px 100% 0px" });
      charts.forEach(function (element) { observer.observe(element); });
    } else {
      charts.forEach(nearViewport);
    }
  }

  var INTERACTIONS = ["pointerdown", "pointermove", "touchstart", "wheel", "keydown"];
  function firstInteraction() {
    INTERACTIONS.forEach(function (name) { window.removeEventListener(name, firstInteraction, true); });
    observe();
  }

  if (charts.length === 0) {
    document.body.dataset.chartsDrawn = "true";
  } else {
    INTERACTIONS.forEach(function (name) {
      window.addEventListener(name, firstInteraction, { capture: true, passive: true });
    });
  }
})();
