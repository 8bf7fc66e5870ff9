// The room's events as the server sends them (docs/protocol.md, "event"),
// turned into the session's events: the room as the server said it
// (roomstate.js) is updated, and what changed is announced. protocol.js
// passes each accepted event here. No page access.

// The session's events this makes (CustomEvents; their `detail`):
//
// - "hands"        {hands: string[]}  participant ids, in queue order
// - "chat"         {message: ChatMessage}
// - "chatdeleted"  {messageId: string}
// - "askunmute"    {}  a facilitator asks this participant to unmute
// - "timerwarning" {participantId: string, secondsLeft: number}
// - "timerended"   {participantId: string}
// - "removed"      {participantId: string, self: boolean}
// - "denied"       {participantId: string, self: boolean}
// - "report"       {report: Report}  a report to the facilitators (they alone get it)
// - "reportdismissed" {reportId: string}
// - "ended"        {}  the meeting ended (a bye "ended" follows)
// - "attendanceconfirmed" {participantId: string, self: boolean}  a
//                  facilitator confirmed someone's attendance (proof.js)
// - "participants" (see protocol.js), for joined, updated, left, removed, denied

/** @typedef {import('./roomstate.js').RoomState} RoomState */

/**
 * What applyEvent needs of its session.
 * @typedef {Object} EventSink
 * @property {RoomState} state                                  the room as the server said it
 * @property {(id: string) => void} dropRemote                  forgets a publisher's stream
 * @property {(type: string, detail: unknown) => void} emit     dispatches a session event
 * @property {(raw: any) => void} participant                   a joined or updated record
 * @property {() => void} participants                          announces the participant list
 */

/**
 * Applies one room event (already accepted by its sequence number).
 * @param {any} msg
 * @param {EventSink} s
 */
export function applyEvent(msg, s) {
  const { state, emit } = s;
  const selfId = state.selfId;
  switch (msg.kind) {
    case 'joined':
    case 'updated':
      s.participant(msg.participant);
      return;
    case 'left':
    case 'removed':
    case 'denied': {
      const id = String(msg.participantId || (msg.participant && msg.participant.id) || '');
      if (!id) return;
      const self = id === selfId;
      if (!self) {
        state.remove(id);
        s.dropRemote(id);
      }
      if (msg.kind !== 'left') emit(msg.kind, { participantId: id, self });
      s.participants();
      return;
    }
    case 'hands':
      state.setHands(msg.hands);
      emit('hands', { hands: state.hands });
      return;
    case 'room':
      if (state.setRoom(msg.room)) emit('room', { room: state.room });
      return;
    case 'chat': {
      const m = state.addChat(msg.message);
      if (m) emit('chat', { message: m });
      return;
    }
    case 'chat_deleted': {
      const id = String(msg.messageId || '');
      state.deleteChat(id);
      emit('chatdeleted', { messageId: id });
      return;
    }
    case 'ask_unmute':
      if (String(msg.participantId || selfId) === selfId) emit('askunmute', {});
      return;
    case 'timer_warning':
      emit('timerwarning', {
        participantId: String(msg.participantId || ''),
        secondsLeft: Number(msg.secondsLeft) || 30,
      });
      return;
    case 'timer_ended':
      emit('timerended', { participantId: String(msg.participantId || '') });
      return;
    case 'report': {
      const r = state.addReport(msg.report);
      if (r) emit('report', { report: r });
      return;
    }
    case 'report_dismissed':
      state.dismissReport(String(msg.reportId || ''));
      emit('reportdismissed', { reportId: String(msg.reportId || '') });
      return;
    case 'attendance_confirmed':
      emit('attendanceconfirmed', { participantId: String(msg.participantId || ''), self: String(msg.participantId || '') === selfId });
      return;
    case 'ended':
      emit('ended', {});
      return;
    default:
      return; // kinds this client does not know are ignored
  }
}
