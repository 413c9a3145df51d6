// Words of the game's pages in Traditional Chinese and English.
//
// An element with data-i18n="key" gets the text of that key; the toggle button
// switches the language, remembered in this browser. The courses are taught in
// Chinese, so Chinese comes first.
"use strict";

const MESSAGES = {
  "zh-Hant": {
    title: "梯度下降遊戲",
    lang_toggle: "English",
    team_subtitle: "找出隱藏函數的最低點：每次輸入一個 x，看 f(x) 和那一點的切線。",
    team_number: "隊伍編號",
    password: "關卡密碼",
    login: "登入",
    logout: "登出",
    function_n: "函數 {n}",
    team_n: "第 {n} 隊",
    range: "x 的範圍：{min} 到 {max}",
    budget: "每隊可猜 {n} 次",
    status_waiting: "等待老師開放這一關。",
    status_open: "開放中：開始猜吧！",
    status_closed: "本關已結束，等待老師公布答案。",
    status_revealed: "答案已公布！",
    enter_x: "輸入 x",
    guess: "送出",
    computing: "計算 f(x) 中… 還有 {s} 秒",
    latest: "最新結果",
    best: "目前最佳",
    guesses_left: "剩餘次數",
    slope: "斜率",
    your_guesses: "你們的猜測",
    col_number: "#",
    col_x: "x",
    col_fx: "f(x)",
    col_slope: "斜率",
    none_yet: "還沒有猜測。",
    pending_row: "計算中…",
    scoreboard: "排行榜",
    col_rank: "名次",
    col_team: "隊伍",
    col_best_fx: "最佳 f(x)",
    col_best_x: "最佳 x",
    col_guesses: "猜測次數",
    hidden_function: "隱藏的函數是",
    legend_yours: "你們的猜測",
    legend_others: "其他隊伍",
    legend_curve: "真正的曲線",
    tangent_hint: "每個點上的短線是那一點的切線：它往哪邊向下傾斜，哪邊就是下坡。",
    err_login_refused: "隊伍編號或密碼不正確。",
    err_too_many_attempts: "失敗次數太多，請等 {retry_after} 秒再試。",
    err_bad_team_number: "隊伍編號必須是 1 到 {max} 的整數。",
    err_not_a_number: "請輸入一個數字。",
    err_not_finite: "請輸入有限的數字。",
    err_out_of_range: "x 必須介於 {x_min} 和 {x_max} 之間。",
    err_undefined_here: "函數在 x = {x} 沒有定義，請換一個。",
    err_level_not_open: "這一關目前不開放猜測。",
    err_guess_pending: "請先等上一次猜測的結果。",
    err_budget_used: "猜測次數已用完。",
    err_not_logged_in: "請重新登入。",
    err_admin_refused: "這個頁面需要老師的專屬連結（含密鑰）。",
    err_missing_field: "請填寫所有欄位。",
    err_bad_steps: "步數必須是 1 到 {max} 的整數。",
    err_bad_learning_rate: "學習率必須大於 0，最大 100。",
    err_bad_transition: "目前的狀態不能這樣切換。",
    err_network: "連不上伺服器，稍後自動重試…",
    admin_title: "教師頁面",
    admin_subtitle: "開放與結束關卡、即時進度、公布答案、讓電腦來玩。",
    teams_guesses: "{teams} 隊，{guesses} 次猜測",
    status_word_waiting: "未開始",
    status_word_open: "開放中",
    status_word_closed: "已結束",
    status_word_revealed: "已公布",
    show_password: "顯示密碼",
    hide_password: "隱藏密碼",
    open: "開放",
    close: "結束",
    reveal: "公布答案",
    confirm_reveal: "要向所有隊伍公布曲線、函數式和排行榜嗎？",
    formula: "函數式（只有你看得到，公布後才給學生看）",
    delay_info: "每次猜測等待 {s} 秒",
    progress: "即時進度",
    col_used: "已用次數",
    col_state: "狀態",
    state_pending: "等待結果",
    no_teams: "還沒有隊伍登入。",
    export_scoreboard: "匯出排行榜 CSV",
    export_guesses: "匯出所有猜測 CSV",
    preview_curve: "在這個畫面顯示真正的曲線",
    computer_play: "讓電腦來玩",
    computer_hint: "用 learnet 的最佳化器，從同一個起點在同一個函數上做梯度下降。",
    start_x: "起點 x",
    steps: "步數",
    learning_rate: "學習率",
    opt_gradient_descent: "梯度下降",
    opt_momentum: "動量法",
    opt_adam: "Adam",
    run: "執行",
    computer_result: "{opt}：{steps} 步後 x = {x}，f(x) = {fx}",
    legend_teams: "各隊路徑",
  },
  en: {
    title: "Gradient Descent Game",
    lang_toggle: "中文",
    team_subtitle: "Find the lowest point of a hidden function: enter an x, see f(x) and the tangent there.",
    team_number: "Team number",
    password: "Level password",
    login: "Log in",
    logout: "Log out",
    function_n: "Function {n}",
    team_n: "Team {n}",
    range: "x from {min} to {max}",
    budget: "{n} guesses per team",
    status_waiting: "Waiting for the teacher to open this level.",
    status_open: "Open: make your guesses!",
    status_closed: "This level is over. Waiting for the reveal.",
    status_revealed: "Revealed!",
    enter_x: "Your x",
    guess: "Guess",
    computing: "Computing f(x)… {s} s",
    latest: "Latest result",
    best: "Best so far",
    guesses_left: "Guesses left",
    slope: "slope",
    your_guesses: "Your guesses",
    col_number: "#",
    col_x: "x",
    col_fx: "f(x)",
    col_slope: "slope",
    none_yet: "No guesses yet.",
    pending_row: "computing…",
    scoreboard: "Scoreboard",
    col_rank: "Rank",
    col_team: "Team",
    col_best_fx: "Best f(x)",
    col_best_x: "Best x",
    col_guesses: "Guesses",
    hidden_function: "The hidden function was",
    legend_yours: "your guesses",
    legend_others: "other teams",
    legend_curve: "true curve",
    tangent_hint: "The short line through each point is the tangent there: the way it tilts down is downhill.",
    err_login_refused: "Team number or password is not right.",
    err_too_many_attempts: "Too many failed attempts. Wait {retry_after} s and try again.",
    err_bad_team_number: "The team number must be a whole number from 1 to {max}.",
    err_not_a_number: "Please enter a number.",
    err_not_finite: "Please enter a finite number.",
    err_out_of_range: "x must be between {x_min} and {x_max}.",
    err_undefined_here: "The function is not defined at x = {x}; try another x.",
    err_level_not_open: "This level is not open for guesses.",
    err_guess_pending: "Wait for the result of your last guess first.",
    err_budget_used: "All guesses are used.",
    err_not_logged_in: "Please log in again.",
    err_admin_refused: "This page needs the teacher's link with its secret token.",
    err_missing_field: "Please fill in every field.",
    err_bad_steps: "Steps must be a whole number from 1 to {max}.",
    err_bad_learning_rate: "A learning rate must be above 0 and at most 100.",
    err_bad_transition: "The level cannot change that way now.",
    err_network: "Cannot reach the server; retrying…",
    admin_title: "Teacher's page",
    admin_subtitle: "Open and close levels, watch progress, reveal, let the computer play.",
    teams_guesses: "{teams} teams, {guesses} guesses",
    status_word_waiting: "not started",
    status_word_open: "open",
    status_word_closed: "closed",
    status_word_revealed: "revealed",
    show_password: "Show password",
    hide_password: "Hide password",
    open: "Open",
    close: "Close",
    reveal: "Reveal",
    confirm_reveal: "Reveal the curve, the formula and the scoreboard to every team?",
    formula: "Formula (only you see it; teams see it after the reveal)",
    delay_info: "{s} s delay per guess",
    progress: "Live progress",
    col_used: "Guesses used",
    col_state: "State",
    state_pending: "waiting for result",
    no_teams: "No team has logged in yet.",
    export_scoreboard: "Scoreboard CSV",
    export_guesses: "All guesses CSV",
    preview_curve: "Show the true curve on this screen",
    computer_play: "Let the computer play",
    computer_hint: "learnet's own optimizers run gradient descent on the same function from the same start.",
    start_x: "Start x",
    steps: "Steps",
    learning_rate: "learning rate",
    opt_gradient_descent: "Gradient descent",
    opt_momentum: "Momentum",
    opt_adam: "Adam",
    run: "Run",
    computer_result: "{opt}: after {steps} steps x = {x}, f(x) = {fx}",
    legend_teams: "team paths",
  },
};

const LANG_KEY = "learnet-game-lang";

function currentLang() {
  const saved = localStorage.getItem(LANG_KEY);
  return saved in MESSAGES ? saved : "zh-Hant";
}

// The text of `key` in the current language, with {name} replaced from params.
function t(key, params = {}) {
  const table = MESSAGES[currentLang()];
  const text = key in table ? table[key] : MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

// Fill every [data-i18n] element and the page title; called after each change.
function applyLanguage(root = document) {
  document.documentElement.lang = currentLang();
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
}

// Wire the toggle button; `onChange` re-renders what the page drew itself.
function setupLanguageToggle(button, onChange) {
  button.addEventListener("click", () => {
    localStorage.setItem(LANG_KEY, currentLang() === "en" ? "zh-Hant" : "en");
    applyLanguage();
    onChange();
  });
  applyLanguage();
}
