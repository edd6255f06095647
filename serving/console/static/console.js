// Occupation suggestions: a suggested code fills the occupation field and says so to screen
// readers; focus returns to the field, so keyboard users carry on where they were.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-occupation]");
  if (!button) return;
  var field = document.getElementById("field-occupation");
  field.value = button.getAttribute("data-occupation");
  document.getElementById("occupation-chosen").textContent =
    "已选择职业：" + button.getAttribute("data-occupation") + " " + button.getAttribute("data-occupation-name");
  field.focus();
});
