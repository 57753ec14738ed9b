// The console's only script: draws the run-history chart and follows a live run. Pages work without it
// (forms post, the server renders), it only adds the chart and the live updates.
/* global document, window, EventSource, Chart */
'use strict';

const COLORS = { created: '#2e7d32', updated: '#1565c0', removed: '#6d4c41', failed: '#c62828' };

function drawHistoryChart() {
  const canvas = document.getElementById('history-chart');
  const data = document.getElementById('history-data');
  if (!canvas || !data || typeof Chart === 'undefined') return;
  const runs = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: runs.map((run) => run.startedAt.replace('T', ' ').slice(0, 19)),
      datasets: Object.keys(COLORS).map((key) => ({ label: key, data: runs.map((run) => run[key]), backgroundColor: COLORS[key] })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true, title: { display: true, text: 'run started (UTC)' } }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'members' } } },
      plugins: { tooltip: { mode: 'index', intersect: false } },
    },
  });
}

function followLiveRun() {
  const section = document.querySelector('[data-live-run]');
  if (!section || section.dataset.state !== 'running') return;
  const list = section.querySelector('.progress');
  const state = section.querySelector('.live-state');
  const events = new EventSource(`/api/live-runs/${section.dataset.liveRun}/events`);
  events.onmessage = (message) => {
    const update = JSON.parse(message.data);
    list.replaceChildren(...update.progress.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
    if (update.state === 'running') return;
    events.close();
    state.textContent = update.state;
    // The report is rendered by the server.
    window.location.reload();
  };
}

document.addEventListener('DOMContentLoaded', () => {
  drawHistoryChart();
  followLiveRun();
});
