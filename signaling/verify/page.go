package verify

// pageHTML is the /verify page: the result of a check when there is one,
// then the forms. verify.js (web/) moves a proof from the URL's fragment
// (the QR code's link) into the form and sends it; the fragment never
// reaches the server's logs.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Check a proof of attendance</title>
<link rel="stylesheet" href="/assets/verify.css">
<script type="module" src="/assets/verify.js"></script>
</head>
<body>
<main>
<h1>Check a proof of attendance</h1>
{{with .Result}}
<section id="result" class="result {{if .Genuine}}genuine{{else}}not-genuine{{end}}" aria-labelledby="result-title">
{{if .Genuine}}
<h2 id="result-title">Genuine</h2>
{{with .Statement}}
<p>This server signed this proof of attendance. It states exactly this, and nothing more:</p>
<dl>
<dt>Meeting</dt><dd data-field="label">{{.Label}}</dd>
<dt>Date</dt><dd data-field="date">{{.Date}}</dd>
<dt>Joined</dt><dd data-field="joined">{{.Joined}} ({{.Zone}})</dd>
<dt>Left</dt><dd data-field="left">{{.Left}} ({{.Zone}})</dd>
<dt>Minutes present</dt><dd data-field="minutes">{{.Minutes}}</dd>
<dt>Name</dt><dd data-field="name">{{if .Name}}{{.Name}}{{else}}No name (the member chose none){{end}}</dd>
<dt>Facilitator</dt><dd data-field="confirmed">{{if .Confirmed}}Confirmed by a facilitator of the meeting{{else}}Not confirmed by a facilitator{{end}}</dd>
</dl>
{{end}}
{{with .Code}}
<p>This server made a proof with this code. The code states only this (times in UTC); the meeting's name is on the full proof (its QR code or file):</p>
<dl>
<dt>Date</dt><dd data-field="date">{{.Date}}</dd>
<dt>Joined</dt><dd data-field="joined">{{.Joined}} (UTC)</dd>
<dt>Left</dt><dd data-field="left">{{.Left}} (UTC)</dd>
<dt>Minutes present</dt><dd data-field="minutes">{{.Minutes}}</dd>
<dt>Name</dt><dd data-field="name">{{if .Name}}{{.Name}}{{else}}No name{{end}}</dd>
<dt>Facilitator</dt><dd data-field="confirmed">{{if .Confirmed}}Confirmed by a facilitator of the meeting{{else}}Not confirmed by a facilitator{{end}}</dd>
</dl>
{{end}}
{{else}}
<h2 id="result-title">Not genuine</h2>
<p data-field="reason">{{.Reason}}</p>
{{end}}
</section>
{{end}}
<section aria-labelledby="proof-title">
<h2 id="proof-title">Check the whole proof</h2>
<p>Scan the QR code on the proof (it opens this page and checks it), upload the proof file, or paste its text.</p>
<form method="post" action="/verify" enctype="multipart/form-data" id="proof-form">
<label for="proof-file">Proof file</label>
<input type="file" id="proof-file" name="file" accept=".txt,text/plain">
<label for="proof-text">Or the proof's text</label>
<textarea id="proof-text" name="proof" rows="4" spellcheck="false" autocomplete="off"></textarea>
<button type="submit">Check proof</button>
</form>
</section>
<section aria-labelledby="code-title">
<h2 id="code-title">Check a short code</h2>
<form method="post" action="/verify" id="code-form">
<label for="code">Code</label>
<input id="code" name="code" autocomplete="off" spellcheck="false" placeholder="XXXX-XXXX-XXXX-XXXX">
<label for="code-name">Name on the proof (leave empty if it has none)</label>
<input id="code-name" name="name" autocomplete="off">
<button type="submit">Check code</button>
</form>
</section>
<p class="note">This server keeps no list of who attended: everything a check needs is in the proof itself. <a href="/verify/keys">Public keys</a></p>
</main>
</body>
</html>
`
