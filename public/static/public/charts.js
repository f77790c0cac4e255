/* Draws the charts of the public pages from the figure JSON the server put in
   <script type="application/json"> blocks (no inline scripts: the Content-Security-Policy holds),
   and wires the PNG and copy buttons. Loaded with `defer`, after plotly.min.js. */
(function () {
  "use strict";

  var config = { responsive: true, displaylogo: false, displayModeBar: false };

  function draw(element) {
    var figure = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    return Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.dataset.drawn = "true";
    });
  }

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    field.select();
    var done = function () { button.textContent = "Copied"; };
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
      Plotly.downloadImage(document.getElementById(png.dataset.png), {
        format: "png", width: 1200, height: 700, filename: png.dataset.filename
      });
    }
    var copyButton = event.target.closest("[data-copy]");
    if (copyButton) {
      copy(copyButton);
    }
  });

  Promise.all(Array.prototype.map.call(document.querySelectorAll("[data-chart]"), draw)).then(function () {
    document.body.dataset.chartsDrawn = "true";
  });
})();
