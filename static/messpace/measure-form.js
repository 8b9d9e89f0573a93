// The measure form adapts to the kind chosen: the value's unit and plausible
// range, and the diastolic field for a blood pressure only. Without this
// script the form lists every kind's unit and range and shows both fields;
// the server reads "13/8" or "130/80" either way.
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  var value = document.getElementById("id_value");
  var value2 = document.getElementById("id_value2");
  if (!kind || !value || !value2) {
    return;
  }
  var hint = document.getElementById("id_value_helptext");
  var label = document.querySelector('label[for="id_value"]');
  var group2 = value2.closest(".fr-input-group");
  var firstText = function (node) {
    for (var i = 0; i < node.childNodes.length; i += 1) {
      if (node.childNodes[i].nodeType === Node.TEXT_NODE && node.childNodes[i].textContent.trim()) {
        return node.childNodes[i];
      }
    }
    return null;
  };
  var labelText = label ? firstText(label) : null;
  var baseLabel = labelText ? labelText.textContent.trim() : "";

  function update() {
    var option = kind.options[kind.selectedIndex];
    var unit = option ? option.getAttribute("data-unit") : null;
    var pressure = kind.value === "blood_pressure";
    if (hint && option && option.getAttribute("data-hint")) {
      hint.textContent = option.getAttribute("data-hint");
    }
    if (labelText) {
      labelText.textContent = unit && !pressure ? baseLabel + " (" + unit + ") " : baseLabel + " ";
    }
    value.setAttribute("inputmode", pressure ? "text" : "decimal");
    if (group2) {
      group2.hidden = !pressure;
    }
    if (!pressure && value2.value && !value2.closest(".fr-input-group--error")) {
      value2.value = "";
    }
  }

  kind.addEventListener("change", update);
  update();
})();
