//! The projector page of a conference session: large counts while ballots arrive, the
//! results as soon as the session closes, fed by the tally's Server-Sent Events.

use crate::domain::questionnaire::Lang;
use crate::web::html::{escape, page};

const SCRIPT: &str = r#"(function(){var m=document.getElementById('tally');var s=new EventSource(m.getAttribute('data-live'));s.addEventListener('tally',function(e){var t=JSON.parse(e.data);var h='<p class="big">'+t.ballots+' 张选票 / ballots</p><table>';t.units.forEach(function(u){h+='<tr><td>'+u.unit_name.replace(/[&<>]/g,'')+'</td><td>'+u.ballots+'</td><td>'+(u.score===null?'…':u.score.toFixed(2))+'</td></tr>'});m.innerHTML=h+'</table>'+(t.status==='closed'?'<p class="big">测评结束 · closed</p>':'');if(t.status==='closed')s.close()})})();"#;

pub fn html(session_id: &str) -> String {
    let id = escape(session_id);
    let body = format!(
        "<style>.big{{font-size:2.5rem;font-weight:700}}table{{width:100%;font-size:1.6rem}}td{{padding:.3rem}}</style>\
         <h1>大会测评 · Conference tally</h1><div id=\"tally\" data-live=\"/api/v1/public/conference/{id}/live\" aria-live=\"polite\">…</div>"
    );
    page(Lang::ZhCn, "大会测评", &body, Some(SCRIPT))
}
