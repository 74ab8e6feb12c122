// Draws the chart of a report page from the JSON the page embeds (Chart.js, vendored).
(function () {
  var data = document.getElementById("report-chart-data");
  var canvas = document.getElementById("report-chart");
  if (!data || !canvas || typeof Chart === "undefined") { return; }
  var spec = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: spec.type || "bar",
    data: { labels: spec.labels, datasets: spec.datasets.map(function (d) {
      return { label: d.label, data: d.data, backgroundColor: "rgba(47, 109, 181, 0.7)" };
    }) },
    options: {
      responsive: true,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return v.toLocaleString(); } } } }
    }
  });
})();
