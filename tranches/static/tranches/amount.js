// Beside every amount input of the admin: the amount with thousands separators and its scale
// ("€3,900,000,000.00 (€3.9bn)"), updated as the editor types, so a missing zero shows at once.
(function () {
  "use strict";
  var full = new Intl.NumberFormat("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var short = new Intl.NumberFormat("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  function scale(value) {
    var size = Math.abs(value);
    if (size >= 1e9) { return "€" + short.format(value / 1e9) + "bn"; }
    if (size >= 1e6) { return "€" + short.format(value / 1e6) + "m"; }
    return "€" + full.format(value);
  }
  function show(input, output) {
    var text = input.value.trim().replace(/[\s,]/g, "");
    var value = Number(text);
    output.textContent = text === "" || isNaN(value) ? "" : "€" + full.format(value) + " (" + scale(value) + ")";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("output.amount-scale").forEach(function (output) {
      var input = document.getElementById(output.htmlFor.value);
      if (input) {
        input.addEventListener("input", function () { show(input, output); });
      }
    });
  });
})();
